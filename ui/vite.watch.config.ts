import { defineConfig } from "vite";

// The reference service's watch page player: one self-contained script
// (hls.js and src/watch/main.ts), which the service embeds at compile
// time (crates/service/src/http/watch.rs) and serves from its own origin.
export default defineConfig({
  clearScreen: false,
  build: {
    target: "es2020",
    outDir: "dist-watch",
    emptyOutDir: true,
    sourcemap: false,
    lib: {
      entry: "src/watch/main.ts",
      formats: ["iife"],
      name: "onairWatch",
      fileName: () => "watch.js",
    },
  },
});
