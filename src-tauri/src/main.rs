// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    onair_app::tune_js_heap();
    onair_app::run();
}
