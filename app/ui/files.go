package ui

import (
	"fmt"
	"mime"
	"path"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// fileEntry is one row of the files page.
type fileEntry struct {
	info    shared.FileInfo
	image   bool   // previewed inline
	url     string // blob URL of the fetched bytes ("" until fetched)
	loading bool
	errMsg  string
}

// filesPage (/files) lists the protected files. Images are fetched with
// the Authorization header (client.File) and shown from blob URLs; other
// files are fetched when asked for and saved from a blob URL. No token
// ever appears in a URL.
type filesPage struct {
	app.Compo
	pageState

	loaded bool
	gen    int // bumped at each load, scopes the rows' event handlers
	files  []*fileEntry
}

func (c *filesPage) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("Files · Tessera")
}

func (c *filesPage) OnMount(ctx app.Context) {
	if c.mountSignedIn(ctx, PathFiles) {
		c.load()
	}
}

// OnDismount frees the blob URLs of the page.
func (c *filesPage) OnDismount() {
	c.revokeAll()
}

func (c *filesPage) revokeAll() {
	for _, f := range c.files {
		revokeBlobURL(f.url)
		f.url = ""
	}
}

// load fetches the list, then the images.
func (c *filesPage) load() {
	loadPage(&c.pageState, c.env.client.Files, func(list shared.FileList) {
		c.revokeAll()
		c.gen++
		c.loaded = true
		c.files = make([]*fileEntry, 0, len(list.Files))
		for _, info := range list.Files {
			f := &fileEntry{info: info, image: inlineImageType(info.Type) != ""}
			c.files = append(c.files, f)
			if f.image {
				c.fetch(f)
			}
		}
	})
}

// fetch downloads f's bytes and makes a blob URL of them: an image is then
// shown, another file saved. A failure is shown on f's row.
func (c *filesPage) fetch(f *fileEntry) {
	if f.loading || c.ended {
		return
	}
	f.loading, f.errMsg = true, ""
	ctx, client := c.ctx, c.env.client
	ctx.Async(func() {
		data, contentType, err := client.File(ctx, f.info.Name)
		// The blob is made on the UI goroutine: if the page is gone by
		// then, Dispatch drops this and no URL leaks.
		ctx.Dispatch(func(ctx app.Context) {
			f.loading = false
			if c.ended {
				return
			}
			if err != nil {
				f.errMsg = c.failMessage(ctx, err)
				return
			}
			revokeBlobURL(f.url)
			if f.image {
				t := inlineImageType(contentType)
				if t == "" {
					t = inlineImageType(f.info.Type)
				}
				f.url = newBlobURL(data, t)
				return
			}
			// Never the server's type: a blob URL opened in a tab is a
			// document of this origin, so HTML or SVG there could read
			// the tokens. An octet stream is only ever saved.
			f.url = newBlobURL(data, "application/octet-stream")
			saveBlobURL(f.url, downloadName(f.info.Name))
		})
	})
}

func (c *filesPage) Render() app.UI {
	return page("files", c.navBar("files"),
		app.Section().
			Class("card").
			Aria("labelledby", "page-title").
			Body(
				app.H1().ID("page-title").Text("Files"),
				c.messages(),
				c.retryButton(c.load),
				app.If(!c.loaded && c.loading, func() app.UI {
					return app.P().Class("loading").Role("status").Text("Loading your files…")
				}),
				app.If(c.loaded && len(c.files) == 0, func() app.UI {
					return app.P().ID("files-empty").Class("empty").Text("There are no files yet.")
				}),
				app.If(c.loaded, func() app.UI {
					return app.Ul().
						ID("files-list").
						Class("files").
						Body(
							app.Range(c.files).Slice(func(i int) app.UI {
								return c.renderFile(i, c.files[i])
							}),
						)
				}),
			),
	)
}

func (c *filesPage) renderFile(i int, f *fileEntry) app.UI {
	meta := app.Div().Class("file-meta").Body(
		app.Span().Class("file-name").Text(f.info.Name),
		app.Span().Class("file-detail").Text(fileDetail(f.info)),
	)

	if f.image {
		var preview app.UI
		switch {
		case f.url != "":
			preview = app.Img().Src(f.url).Alt(f.info.Name)
		case f.errMsg != "":
			preview = app.Span().Class("preview-error").Role("alert").Text("Preview unavailable: " + f.errMsg)
		default:
			preview = app.Span().Class("preview-loading").Text("Loading preview…")
		}
		return app.Li().Class("file file-image").Body(
			app.Div().Class("preview").Body(preview),
			meta,
		)
	}

	var action app.UI
	if f.url != "" {
		action = app.A().
			Class("button button-small").
			Href(f.url).
			Download(downloadName(f.info.Name)).
			Aria("label", "Save "+f.info.Name).
			Text("Save")
	} else {
		label := "Download"
		if f.loading {
			label = "Downloading…"
		}
		action = disable(app.Button().
			Type("button").
			Class("button button-small").
			Aria("label", label+" "+f.info.Name).
			Text(label).
			OnClick(func(app.Context, app.Event) { c.fetch(f) }, app.EventScope(c.gen, i)),
			f.loading)
	}
	return app.Li().Class("file").Body(
		meta,
		app.Div().Class("file-actions").Body(
			action,
			app.If(f.errMsg != "", func() app.UI {
				return app.Span().Class("file-error").Role("alert").Text(f.errMsg)
			}),
		),
	)
}

// inlineImageType returns the media type of contentType when it is a
// raster image the page may show inline, or "". SVG is left out: opened
// from its blob URL it would run as a document of this origin.
func inlineImageType(contentType string) string {
	t, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	switch t {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif",
		"image/bmp", "image/x-icon", "image/vnd.microsoft.icon":
		return t
	}
	return ""
}

// downloadName is the name to save a file under: the last segment of its
// path in the files root.
func downloadName(name string) string {
	base := path.Base(strings.TrimSuffix(name, "/"))
	if base == "." || base == "/" || base == "" {
		return "file"
	}
	return base
}

// fileDetail is "<size> · <type>".
func fileDetail(f shared.FileInfo) string {
	t := f.Type
	if t == "" {
		t = "unknown type"
	}
	return humanSize(f.Size) + " · " + t
}

// humanSize formats a byte count for people: "512 B", "1.5 KB", "12 MB".
func humanSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	for _, unit := range []string{"KB", "MB", "GB", "TB"} {
		v /= 1024
		if v < 1024 || unit == "TB" {
			if v < 10 {
				return fmt.Sprintf("%.1f %s", v, unit)
			}
			return fmt.Sprintf("%.0f %s", v, unit)
		}
	}
	return fmt.Sprintf("%d B", n)
}
