import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

// Under LANG=C, WebKitGTK reports navigator.language as "C", which Intl
// refuses with a RangeError (uPlot formats numbers with it): use en-US then.
try {
  new Intl.NumberFormat(navigator.language);
} catch {
  Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
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
