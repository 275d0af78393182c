package ui

import (
	"context"
	"fmt"
	"mime"
	"path"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// fileEntry is one file of the files page.
type fileEntry struct {
	info    shared.FileInfo
	image   bool   // previewed inline
	url     string // blob URL of the fetched bytes ("" until fetched)
	loading bool
	save    bool // save the bytes once fetched
	errMsg  string
}

// filesPage (/files) lists the protected files. Images are fetched with
// the Authorization header (client.File) and shown from blob URLs, small in
// the list and large in a dialog; every file has one Download button,
// which saves it (fetching it first if needed). No token ever appears in a
// URL.
type filesPage struct {
	pageState

	loaded  bool
	gen     int // bumped at each load, scopes the rows' event handlers
	files   []*fileEntry
	viewing int // 1 + the index of the image shown large; 0 for none
}

func (c *filesPage) title() string { return "Files · Tessera" }

func (c *filesPage) mount(ctx app.Context) {
	c.retry = c.load
	if c.mountSignedIn(ctx, PathFiles, "") {
		c.load()
	}
}

// dismount frees the blob URLs of the page.
func (c *filesPage) dismount() {
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
	c.pageState.load(func(ctx context.Context) (func(), error) {
		list, err := c.env.client.Files(ctx)
		return func() { c.show(list) }, err
	})
}

// show lists the files of list, and fetches its images.
func (c *filesPage) show(list shared.FileList) {
	c.revokeAll()
	c.gen++
	c.loaded, c.viewing = true, 0
	c.files = make([]*fileEntry, 0, len(list.Files))
	for _, info := range list.Files {
		f := &fileEntry{info: info, image: inlineImageType(info.Type) != ""}
		c.files = append(c.files, f)
		if f.image {
			c.fetch(f, false)
		}
	}
}

// fetch downloads f's bytes and makes a blob URL of them; with save, or
// when f.save was set meanwhile, the browser then saves them as a file. A
// failure is shown on f's card.
func (c *filesPage) fetch(f *fileEntry, save bool) {
	f.save = f.save || save
	if f.url != "" {
		c.saveIfAsked(f)
		return
	}
	if f.loading || c.ended {
		return
	}
	f.loading, f.errMsg = true, ""
	ctx, client := c.ctx, c.env.client
	ctx.Async(func() {
		data, contentType, err := client.File(ctx, f.info.Name)
		// The blob is made on the UI goroutine: if the page is gone by
		// then, Dispatch drops this and no URL leaks.
		c.dispatch(func(ctx app.Context) {
			f.loading = false
			if c.ended {
				return
			}
			if err != nil {
				f.save = false
				f.errMsg = c.failMessage(ctx, err)
				if f.errMsg == "" && !c.env.online() {
					f.errMsg = "Not downloaded: you are offline."
				}
				return
			}
			c.env.setOnline(true)
			// Never the server's type for other files: a blob URL opened
			// in a tab is a document of this origin, so HTML or SVG there
			// could read the tokens. An octet stream is only ever saved.
			t := "application/octet-stream"
			if f.image {
				if t = inlineImageType(contentType); t == "" {
					t = inlineImageType(f.info.Type)
				}
			}
			f.url = newBlobURL(data, t)
			c.saveIfAsked(f)
		})
	})
}

// saveIfAsked saves f's fetched bytes if a Download asked for it.
func (c *filesPage) saveIfAsked(f *fileEntry) {
	if f.save {
		f.save = false
		saveBlobURL(f.url, downloadName(f.info.Name))
	}
}

func (c *filesPage) render() app.UI {
	var body app.UI
	switch {
	case !c.loaded && c.loading:
		body = el("p", "class", "loading", "role", "status").Text("Loading your files…")
	case c.loaded && len(c.files) == 0:
		body = el("p", "id", "files-empty", "class", "empty").Text("There are no files yet.")
	case c.loaded:
		items := make([]app.UI, len(c.files))
		for i, f := range c.files {
			items[i] = c.renderFile(i, f)
		}
		body = el("ul", "id", "files-list", "class", "files").Body(items...)
	}
	return c.page("", "Files",
		c.messages(),
		c.retryButton(),
		c.offlineNote(c.loaded),
		body,
		c.viewer(),
	)
}

func (c *filesPage) renderFile(i int, f *fileEntry) app.UI {
	var preview app.UI
	if f.image {
		// The button names the image: the image itself is presentation.
		var inside app.UI = text("span", "preview-loading", "Loading preview…")
		switch {
		case f.url != "":
			inside = void("img", "src", f.url, "role", "presentation")
		case f.errMsg != "":
			inside = text("span", "preview-error", "Preview unavailable")
		}
		preview = el("button", "id", "view-"+strconv.Itoa(i), "type", "button", "class", "preview",
			"aria-label", "View "+f.info.Name+" larger", "disabled", flag(f.url == "")).
			OnClick(func(ctx app.Context, _ app.Event) { c.view(ctx, i+1) }, app.EventScope(c.gen, i)).
			Body(inside)
	}
	label := "Download"
	if f.loading && f.save {
		label = "Downloading…"
	}
	var failure app.UI
	if f.errMsg != "" {
		failure = el("p", "class", "file-error", "role", "alert").Text(f.errMsg)
	}
	return el("li", "class", "file").Body(
		preview,
		el("div", "class", "file-meta").Body(
			text("span", "file-name", f.info.Name),
			text("span", "file-detail", fileDetail(f.info)),
		),
		failure,
		button("", "button button-small file-download", label, f.loading && f.save, "aria-label", label+" "+f.info.Name).
			OnClick(func(app.Context, app.Event) { c.fetch(f, true) }, app.EventScope(c.gen, i)),
	)
}

// view shows the image n (1-based; 0 closes) large in the modal dialog
// #viewer, and gives the focus back to its thumbnail when it closes.
func (c *filesPage) view(ctx app.Context, n int) {
	was := c.viewing
	c.viewing = n
	switch {
	case n > 0:
		c.later(func() { showModal("viewer") })
	case was > 0:
		c.focusLater("view-" + strconv.Itoa(was-1))
	}
}

// viewer is the dialog showing an image large, with its name, a Download
// button and a Close button. Escape closes it too (the dialog's close
// event).
func (c *filesPage) viewer() app.UI {
	if c.viewing < 1 || c.viewing > len(c.files) {
		return nil
	}
	f := c.files[c.viewing-1]
	closeViewer := func(ctx app.Context, _ app.Event) { c.view(ctx, 0) }
	return el("dialog", "id", "viewer", "class", "viewer", "aria-labelledby", "viewer-title").
		On("close", closeViewer).
		Body(
			el("div", "class", "viewer-bar").Body(
				el("h2", "id", "viewer-title").Text(f.info.Name),
				button("viewer-download", "button button-small", "Download", false).
					OnClick(func(app.Context, app.Event) { c.fetch(f, true) }, app.EventScope(c.gen, c.viewing)),
				button("viewer-close", "button button-small", "Close", false).OnClick(closeViewer),
			),
			void("img", "class", "viewer-image", "src", f.url, "alt", f.info.Name),
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

// fileDetail is "<kind of file> · <size>".
func fileDetail(f shared.FileInfo) string {
	return fileKind(f.Type, f.Name) + " · " + humanSize(f.Size)
}

// fileKinds names kinds of files for people, by media type: pairs of a
// type and its name.
var fileKinds = []string{
	"image/png", "PNG image",
	"image/jpeg", "JPEG image",
	"image/gif", "GIF image",
	"image/webp", "WebP image",
	"image/avif", "AVIF image",
	"image/bmp", "BMP image",
	"image/svg+xml", "SVG image",
	"image/x-icon", "Icon",
	"image/vnd.microsoft.icon", "Icon",
	"application/pdf", "PDF document",
	"text/plain", "Text file",
	"text/csv", "CSV table",
	"text/markdown", "Markdown text",
	"text/html", "Web page",
	"application/json", "JSON data",
	"application/zip", "ZIP archive",
	"application/gzip", "Gzip archive",
	"application/x-gzip", "Gzip archive",
	"application/x-tar", "Tar archive",
	"application/msword", "Word document",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document",
	"application/vnd.ms-excel", "Excel spreadsheet",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel spreadsheet",
	"application/vnd.oasis.opendocument.text", "OpenDocument text",
	"audio/mpeg", "MP3 audio",
	"video/mp4", "MP4 video",
	// Any other of a family, by its first part.
	"image", "Image",
	"audio", "Audio",
	"video", "Video",
	"text", "Text file",
}

// fileKind names the kind of a file for people ("PNG image", "PDF
// document") from its media type, or else its extension ("XYZ file").
func fileKind(contentType, name string) string {
	t, _, _ := mime.ParseMediaType(contentType)
	family, _, _ := strings.Cut(t, "/")
	for _, want := range []string{t, family} {
		for i := 0; i+1 < len(fileKinds) && want != ""; i += 2 {
			if fileKinds[i] == want {
				return fileKinds[i+1]
			}
		}
	}
	if ext := strings.TrimPrefix(path.Ext(name), "."); ext != "" && len(ext) <= 5 {
		return upperASCII(ext) + " file"
	}
	return "File"
}

// upperASCII is strings.ToUpper for ASCII letters, the others kept: the
// Unicode tables of strings.ToUpper cost the browser build 2.7 kB for a
// file's extension.
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// humanSize formats a byte count for people: "512 bytes", "1.5 KB",
// "12 MB".
func humanSize(n int64) string {
	if n < 1024 {
		return count(int(n), "byte", "bytes")
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
	return fmt.Sprintf("%d bytes", n)
}
