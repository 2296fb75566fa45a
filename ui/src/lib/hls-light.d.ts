// hls.js ships no types for its light build, which has the same API as
// the full one (less subtitles, alternate audio and DRM, which the watch
// page and the preview do not use).
declare module "hls.js/light" {
  import Hls from "hls.js";
  export default Hls;
}
