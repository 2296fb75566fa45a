// Pictures the service names (the avatar, channel thumbnails) come through
// the app's picture: scheme by key, never from their own host: the page's
// CSP allows images from the app, data: and that scheme only (issue 19).
import { convertFileSrc } from "@tauri-apps/api/core";

/** picture://localhost/KEY here, http://picture.localhost/KEY on Windows. */
export function pictureSrc(key: string): string {
  return convertFileSrc("", "picture") + encodeURIComponent(key);
}
