import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { api } from "./lib/ipc";
import { detect, setLang } from "./lib/i18n";

// Under LANG=C, WebKitGTK reports navigator.language as "C", which Intl
// refuses with a RangeError (uPlot formats numbers with it): use en-US then.
try {
  new Intl.NumberFormat(navigator.language);
} catch {
  Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
}

// The language: the settings' choice, else the OS's (Rust speaks the same
// in the tray and the notifications). Read before the first screen; a
// change in the settings reloads the page.
try {
  const chosen = (await api.settings()).language;
  setLang(chosen === "auto" ? detect(navigator.language) : chosen);
} catch {
  // No settings (the page outside the app): the OS's language.
}

const target = document.getElementById("app")!;
let app: ReturnType<typeof mount> | undefined;
try {
  app = mount(App, { target });
} catch (e) {
  // Never a blank window: say what broke (as text).
  target.textContent = `onair could not draw its window: ${e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e)}`;
  target.setAttribute("role", "alert");
}
export default app;
