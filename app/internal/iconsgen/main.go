// Command iconsgen draws Tessera's app icons: a "T" laid in tesserae (a
// 5×5 mosaic of small tiles) on the theme colour. It writes
//
//	icon-192.png       192×192, rounded square, transparent corners
//	icon-512.png       512×512, same design
//	icon-maskable.png  512×512, full bleed, mosaic inside the 80 % safe zone
//	icon.svg           the same design as a vector (favicon, manifest)
//
// Run it from the module root:
//
//	go run ./app/internal/iconsgen -out web/static
//
// It is a tool only; the app does not import it.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

// A gradient around ui.ThemeColor (#0f766e); keep them in sync.
var (
	themeTop  = rgb{0x17, 0x8f, 0x85} // gradient, top
	themeLow  = rgb{0x0b, 0x5c, 0x56} // gradient, bottom
	tileLight = 0.96                  // opacity of the tiles of the "T"
	tileDim   = 0.20                  // opacity of the other tiles
)

// The letter T on a 5×5 grid, row by row.
var letter = [5]string{
	"#####",
	"..#..",
	"..#..",
	"..#..",
	"..#..",
}

type rgb struct{ r, g, b uint8 }

// design describes one icon in unit coordinates (the icon is [0,1]²).
type design struct {
	radius float64 // corner radius of the background; 0: full bleed square
	box    float64 // side of the mosaic, centred
}

func (d design) tiles() (cell, tile, origin float64) {
	cell = d.box / 5
	tile = cell * 0.82
	origin = (1 - d.box) / 2
	return
}

// sample returns the colour and coverage (alpha) of the design at (x, y).
func (d design) sample(x, y float64) (r, g, b, a float64) {
	if !inRoundRect(x, y, 0, 0, 1, 1, d.radius) {
		return 0, 0, 0, 0
	}
	top := [3]float64{float64(themeTop.r), float64(themeTop.g), float64(themeTop.b)}
	low := [3]float64{float64(themeLow.r), float64(themeLow.g), float64(themeLow.b)}
	r = top[0] + (low[0]-top[0])*y
	g = top[1] + (low[1]-top[1])*y
	b = top[2] + (low[2]-top[2])*y

	cell, tile, origin := d.tiles()
	col := int(math.Floor((x - origin) / cell))
	row := int(math.Floor((y - origin) / cell))
	if col < 0 || col > 4 || row < 0 || row > 4 {
		return r, g, b, 1
	}
	tx := origin + float64(col)*cell + (cell-tile)/2
	ty := origin + float64(row)*cell + (cell-tile)/2
	if !inRoundRect(x, y, tx, ty, tile, tile, tile*0.14) {
		return r, g, b, 1
	}
	op := tileDim
	if letter[row][col] == '#' {
		op = tileLight
	}
	return r + (255-r)*op, g + (255-g)*op, b + (255-b)*op, 1
}

func inRoundRect(x, y, rx, ry, w, h, rad float64) bool {
	if x < rx || y < ry || x > rx+w || y > ry+h {
		return false
	}
	cx := math.Max(rx+rad, math.Min(x, rx+w-rad))
	cy := math.Max(ry+rad, math.Min(y, ry+h-rad))
	dx, dy := x-cx, y-cy
	return dx*dx+dy*dy <= rad*rad
}

// render rasterizes d at size×size pixels with 4×4 supersampling.
func render(d design, size int) *image.NRGBA {
	const ss = 4
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var sr, sg, sb, sa float64
			for j := 0; j < ss; j++ {
				for i := 0; i < ss; i++ {
					x := (float64(px) + (float64(i)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(j)+0.5)/ss) / float64(size)
					r, g, b, a := d.sample(x, y)
					sr += r * a
					sg += g * a
					sb += b * a
					sa += a
				}
			}
			if sa == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(sr / sa)),
				G: uint8(math.Round(sg / sa)),
				B: uint8(math.Round(sb / sa)),
				A: uint8(math.Round(255 * sa / (ss * ss))),
			})
		}
	}
	return img
}

// svg draws d as an SVG document of viewBox 0 0 512 512.
func svg(d design) []byte {
	const n = 512.0
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512">`+"\n")
	fmt.Fprintf(&b, `<title>Tessera</title>`+"\n")
	fmt.Fprintf(&b, `<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">`+
		`<stop offset="0" stop-color="#%02x%02x%02x"/><stop offset="1" stop-color="#%02x%02x%02x"/>`+
		`</linearGradient></defs>`+"\n",
		themeTop.r, themeTop.g, themeTop.b, themeLow.r, themeLow.g, themeLow.b)
	fmt.Fprintf(&b, `<rect width="512" height="512" rx="%.1f" fill="url(#bg)"/>`+"\n", d.radius*n)
	cell, tile, origin := d.tiles()
	for row := 0; row < 5; row++ {
		for col := 0; col < 5; col++ {
			op := tileDim
			if letter[row][col] == '#' {
				op = tileLight
			}
			x := (origin + float64(col)*cell + (cell-tile)/2) * n
			y := (origin + float64(row)*cell + (cell-tile)/2) * n
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="%.1f" fill="#fff" fill-opacity="%.2f"/>`+"\n",
				x, y, tile*n, tile*n, tile*0.14*n, op)
		}
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func writePNG(path string, img image.Image) error {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func main() {
	out := flag.String("out", "web", "directory to write the icons to")
	flag.Parse()

	regular := design{radius: 0.22, box: 0.60}
	// Maskable: the platform crops to a shape inside the circle of radius
	// 40 % of the side; the mosaic's square (side 0.50, half-diagonal
	// 0.354) stays within it.
	maskable := design{radius: 0, box: 0.50}

	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	files := []struct {
		name string
		img  image.Image
	}{
		{"icon-192.png", render(regular, 192)},
		{"icon-512.png", render(regular, 512)},
		{"icon-maskable.png", render(maskable, 512)},
	}
	for _, f := range files {
		if err := writePNG(filepath.Join(*out, f.name), f.img); err != nil {
			log.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(*out, "icon.svg"), svg(regular), 0o644); err != nil {
		log.Fatal(err)
	}
}
