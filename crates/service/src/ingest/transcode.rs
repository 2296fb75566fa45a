//! The transcoding ladder (`--transcode`, off by default): Sigma's ingest
//! profiles, 1080p, 720p and 480p, made by an ffmpeg child from the
//! incoming stream, as HLS renditions under one master playlist (RFC 8216
//! §4.3.4.2) at `/watch/{liveId}/ladder/master.m3u8`. Only profiles no
//! taller than the source are made (no upscaling; the smallest always).
//!
//! The connection task hands each FLV tag to a bounded queue and goes on;
//! a writer task feeds ffmpeg's stdin as a FLV stream (Adobe FLV spec
//! E.2-E.3). If ffmpeg falls behind, tags are dropped for it, never for
//! the ingest: a ladder is a luxury, the source stream is not.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// One rung: name, height, video bitrate (kb/s).
const PROFILES: [(&str, u32, u32); 3] = [
    ("1080p", 1080, 4_500),
    ("720p", 720, 2_500),
    ("480p", 480, 1_000),
];
/// Tags queued for ffmpeg at most (some 3 s of 30 fps video and audio).
const QUEUE: usize = 256;

/// The rendition names (also directory names under `ladder/`).
pub fn is_rendition(name: &str) -> bool {
    PROFILES.iter().any(|(n, _, _)| *n == name)
}

/// An FLV tag for the transcoder.
#[derive(Debug)]
struct Tag {
    kind: u8,
    ts: u32,
    data: bytes::Bytes,
}

/// A running ladder of one publisher; ffmpeg is killed when it drops.
#[derive(Debug)]
pub struct Ladder {
    tags: mpsc::Sender<Tag>,
    /// Tags dropped because ffmpeg was behind.
    pub dropped: Arc<AtomicU64>,
    _child: Child,
}

impl Ladder {
    /// Starts ffmpeg for a source `source_height` lines tall, writing into
    /// `dir` (emptied first).
    pub fn start(dir: &Path, source_height: u32) -> std::io::Result<Self> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir)?;
        let rungs: Vec<_> = PROFILES
            .iter()
            .filter(|(_, h, _)| *h <= source_height)
            .copied()
            .collect();
        let rungs = if rungs.is_empty() {
            vec![PROFILES[PROFILES.len() - 1]]
        } else {
            rungs
        };
        let mut cmd = Command::new("ffmpeg");
        cmd.args(["-hide_banner", "-loglevel", "error", "-nostdin"])
            .args(["-f", "flv", "-i", "pipe:0"]);
        let split: String = (0..rungs.len()).map(|i| format!("[s{i}]")).collect();
        let mut filter = format!("[0:v]split={}{split}", rungs.len());
        for (i, (_, h, _)) in rungs.iter().enumerate() {
            filter.push_str(&format!(";[s{i}]scale=-2:{h}[v{i}]"));
        }
        cmd.args(["-filter_complex", &filter]);
        let mut map = Vec::new();
        for (i, (name, _, kbps)) in rungs.iter().enumerate() {
            cmd.args(["-map", &format!("[v{i}]"), "-map", "0:a?"]);
            cmd.args([
                &format!("-c:v:{i}"),
                "libx264",
                &format!("-b:v:{i}"),
                &format!("{kbps}k"),
                &format!("-maxrate:v:{i}"),
                &format!("{kbps}k"),
                &format!("-bufsize:v:{i}"),
                &format!("{}k", kbps * 2),
            ]);
            map.push(format!("v:{i},a:{i},name:{name}"));
        }
        cmd.args([
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-sc_threshold",
            "0",
        ])
        .args(["-force_key_frames", "expr:gte(t,n_forced*2)"])
        .args(["-c:a", "aac", "-b:a", "128k"])
        .args(["-f", "hls", "-hls_time", "2", "-hls_list_size", "6"])
        .args(["-hls_flags", "delete_segments+independent_segments"])
        .args(["-master_pl_name", "master.m3u8"])
        .args(["-var_stream_map", &map.join(" ")])
        .arg("-hls_segment_filename")
        .arg(dir.join("%v").join("seg%d.ts"))
        .arg(dir.join("%v").join("index.m3u8"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
        let mut child = cmd.spawn()?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("no stdin"))?;
        let (tags, mut queue) = mpsc::channel::<Tag>(QUEUE);
        tokio::spawn(async move {
            // FLV header: version 1, audio and video, header size 9; then
            // PreviousTagSize0.
            let mut out = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
            while let Some(tag) = queue.recv().await {
                let size = tag.data.len() as u32;
                out.push(tag.kind);
                out.extend_from_slice(&size.to_be_bytes()[1..]);
                out.extend_from_slice(&tag.ts.to_be_bytes()[1..]);
                out.push((tag.ts >> 24) as u8);
                out.extend_from_slice(&[0, 0, 0]);
                out.extend_from_slice(&tag.data);
                out.extend_from_slice(&(size + 11).to_be_bytes());
                if stdin.write_all(&out).await.is_err() {
                    return;
                }
                out.clear();
            }
        });
        Ok(Self {
            tags,
            dropped: Arc::default(),
            _child: child,
        })
    }

    /// Queues a video (9) or audio (8) tag; dropped if ffmpeg is behind.
    pub fn push(&self, kind: u8, ts: u32, data: bytes::Bytes) {
        if self.tags.try_send(Tag { kind, ts, data }).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Where a live's ladder goes, under its HLS directory.
pub fn dir(hls_dir: &Path) -> PathBuf {
    hls_dir.join("ladder")
}
