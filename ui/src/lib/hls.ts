// One HLS player (RFC 8216) for the service's watch page and the app's
// preview: hls.js (its light build) over Media Source Extensions, or the
// browser's own HLS where it has one (Safari, WebKit on macOS).
import Hls from "hls.js/light";

export interface HlsPlayer {
  /** Stops loading and decoding: nothing runs while the picture is not seen. */
  pause(): void;
  /** Loads again from the live edge and plays. */
  resume(): void;
  /**
   * How far the picture is behind the moment the service received it, in
   * ms, where the playlist dates its segments (EXT-X-PROGRAM-DATE-TIME,
   * §4.3.2.6); null while it cannot tell.
   */
  delayMs(): number | null;
  destroy(): void;
}

export interface HlsEvents {
  /** The first picture can play. */
  playing?: () => void;
  /** A failure the player does not recover from (nothing to play yet, the stream gone). */
  failed?: (why: string) => void;
}

/** Whether this page can play HLS at all. */
export function canPlayHls(video: HTMLVideoElement): boolean {
  return Hls.isSupported() || video.canPlayType("application/vnd.apple.mpegurl") !== "";
}

/** Plays the live playlist at `source` in `video`; null where HLS cannot play. */
export function playHls(video: HTMLVideoElement, source: string, on: HlsEvents = {}): HlsPlayer | null {
  if (Hls.isSupported()) {
    // No worker: the pages' CSP allows no worker script.
    const hls = new Hls({ enableWorker: false, liveSyncDurationCount: 3 });
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      on.playing?.();
      void video.play().catch(() => undefined);
    });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (data.fatal) on.failed?.(data.details);
    });
    hls.loadSource(source);
    hls.attachMedia(video);
    return {
      pause() {
        video.pause();
        hls.stopLoad();
      },
      resume() {
        hls.startLoad(-1);
        const edge = hls.liveSyncPosition;
        if (edge !== null && edge > video.currentTime) video.currentTime = edge;
        void video.play().catch(() => undefined);
      },
      delayMs() {
        const at = hls.playingDate;
        return at ? Math.max(0, Date.now() - at.getTime()) : null;
      },
      destroy() {
        hls.destroy();
      },
    };
  }
  if (video.canPlayType("application/vnd.apple.mpegurl")) {
    const start = () => {
      video.src = source;
      void video.play().catch(() => undefined);
    };
    const playing = () => on.playing?.();
    const failed = () => on.failed?.(video.error?.message || "media error");
    video.addEventListener("loadedmetadata", playing);
    video.addEventListener("error", failed);
    start();
    return {
      pause() {
        video.pause();
        video.removeAttribute("src");
        video.load();
      },
      resume: start,
      delayMs() {
        // WebKit's own HLS dates the stream from its program date-time.
        const origin = (video as HTMLVideoElement & { getStartDate?: () => Date }).getStartDate?.();
        const t = origin?.getTime();
        return t !== undefined && !Number.isNaN(t) ? Math.max(0, Date.now() - (t + video.currentTime * 1000)) : null;
      },
      destroy() {
        video.removeEventListener("loadedmetadata", playing);
        video.removeEventListener("error", failed);
        video.removeAttribute("src");
        video.load();
      },
    };
  }
  return null;
}
