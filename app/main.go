// Command app is Tessera's browser app: a go-app PWA compiled to
// WebAssembly and served by the tessera server next to /api.
//
// Build it with:
//
//	GOOS=js GOARCH=wasm go build -o web/static/app.wasm ./app
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/app/ui"
)

func main() {
	ui.RegisterEnv(ui.NewEnv())
	app.RunWhenOnBrowser()
}
