//! Stream health, measured from what arrives: the FLV audio and video tag
//! bodies that RTMP carries (Adobe Flash Video File Format Specification
//! v10.1, Annex E.4.2-E.4.3), the H.264 sequence parameter set inside the
//! AVC decoder configuration (ISO/IEC 14496-15 §5.2.4.1; ITU-T H.264
//! §7.3.2.1.1) and the AAC AudioSpecificConfig (ISO/IEC 14496-3
//! §1.6.2.1).
//!
//! A [`Meter`] keeps the last 10 s of frames (arrival time, media time,
//! size): some 800 small entries for 30 fps video with AAC audio. The
//! figures are worked out when asked ([`Meter::report`]), so a frame costs
//! a push and a pop.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use onair_api::{AudioHealth, Verdict, VideoHealth};

/// How far back the windows reach.
const WINDOW: Duration = Duration::from_secs(10);
/// A pause in arrivals this long ends "steady" input.
const STEADY_GAP: Duration = Duration::from_secs(2);
/// No frame for this long: no signal.
const SILENT: Duration = Duration::from_secs(5);
/// Key frames further apart than this make the stream poor.
const MAX_KEYFRAME_INTERVAL: f64 = 4.0;

#[derive(Debug, Clone, Copy)]
struct Frame {
    at: Instant,
    video: bool,
    bytes: u32,
    /// Media time, ms.
    ts: u32,
}

/// What a track's configuration record says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VideoConfig {
    pub codec: String,
    pub profile: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// What an AudioSpecificConfig says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudioConfig {
    pub codec: String,
    pub sample_rate: Option<u32>,
    pub channels: Option<u32>,
}

/// Timestamps of one track, for gaps and backward steps.
#[derive(Debug, Default)]
struct Track {
    last_ts: Option<u32>,
}

impl Track {
    /// The step from the previous timestamp: `Some(true)` a gap of over
    /// 1 s, `Some(false)` backwards, `None` a normal step.
    fn step(&mut self, ts: u32) -> Option<bool> {
        let prev = self.last_ts.replace(ts)?;
        let delta = i64::from(ts) - i64::from(prev);
        if delta < 0 {
            Some(false)
        } else if delta > 1_000 {
            Some(true)
        } else {
            None
        }
    }
}

/// The health of one publisher's stream.
#[derive(Debug)]
pub struct Meter {
    started: Instant,
    frames: VecDeque<Frame>,
    video_config: Option<VideoConfig>,
    audio_config: Option<AudioConfig>,
    /// Media times of the last key frames.
    keyframes: VecDeque<u32>,
    video: Track,
    audio: Track,
    bytes: u64,
    gaps: u64,
    backwards: u64,
    last_backwards: Option<Instant>,
    last_frame: Option<Instant>,
    steady_since: Option<Instant>,
}

/// The figures of a [`Meter`] at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    pub video: Option<VideoHealth>,
    pub audio: Option<AudioHealth>,
    pub bytes_received: u64,
    pub timestamp_gaps: u64,
    pub timestamps_backwards: u64,
    pub since_last_frame_ms: Option<u64>,
}

impl Meter {
    pub fn new(now: Instant) -> Self {
        Self {
            started: now,
            frames: VecDeque::with_capacity(1024),
            video_config: None,
            audio_config: None,
            keyframes: VecDeque::with_capacity(8),
            video: Track::default(),
            audio: Track::default(),
            bytes: 0,
            gaps: 0,
            backwards: 0,
            last_backwards: None,
            last_frame: None,
            steady_since: None,
        }
    }

    /// An FLV video tag body (E.4.3.1: frame type and codec id, then for
    /// AVC the packet type, composition time and data).
    pub fn video(&mut self, now: Instant, ts: u32, data: &[u8]) {
        let Some(&first) = data.first() else { return };
        let frame_type = first >> 4;
        let codec_id = first & 0x0f;
        if codec_id == 7 && data.get(1) == Some(&0) {
            // AVC sequence header: the AVCDecoderConfigurationRecord.
            self.video_config = Some(avc_config(data.get(5..).unwrap_or_default()));
            self.bytes += data.len() as u64;
            return;
        }
        if self.video_config.is_none() {
            self.video_config = Some(VideoConfig {
                codec: video_codec_name(codec_id).to_owned(),
                ..VideoConfig::default()
            });
        }
        // Frame type 5 is "video info/command": not a picture.
        if frame_type == 5 {
            return;
        }
        if frame_type == 1 {
            if self.keyframes.len() == 6 {
                self.keyframes.pop_front();
            }
            self.keyframes.push_back(ts);
        }
        if let Some(forward) = self.video.step(ts) {
            self.count_step(now, forward);
        }
        self.push(now, true, ts, data.len());
    }

    /// An FLV audio tag body (E.4.2.1: sound format, rate, size and type,
    /// then for AAC the packet type and data).
    pub fn audio(&mut self, now: Instant, ts: u32, data: &[u8]) {
        let Some(&first) = data.first() else { return };
        let format = first >> 4;
        if format == 10 && data.get(1) == Some(&0) {
            self.audio_config = Some(aac_config(data.get(2..).unwrap_or_default()));
            self.bytes += data.len() as u64;
            return;
        }
        if self.audio_config.is_none() {
            // Without a config record, the tag header's own rate and type.
            let rate = [5_512, 11_025, 22_050, 44_100][usize::from((first >> 2) & 3)];
            self.audio_config = Some(AudioConfig {
                codec: audio_codec_name(format).to_owned(),
                sample_rate: Some(rate),
                channels: Some(u32::from(first & 1) + 1),
            });
        }
        if let Some(forward) = self.audio.step(ts) {
            self.count_step(now, forward);
        }
        self.push(now, false, ts, data.len());
    }

    fn count_step(&mut self, now: Instant, forward: bool) {
        if forward {
            self.gaps += 1;
        } else {
            self.backwards += 1;
            self.last_backwards = Some(now);
        }
    }

    fn push(&mut self, now: Instant, video: bool, ts: u32, bytes: usize) {
        let bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
        self.bytes += u64::from(bytes);
        match self.last_frame {
            Some(last) if now.duration_since(last) <= STEADY_GAP => {}
            _ => self.steady_since = Some(now),
        }
        self.last_frame = Some(now);
        self.frames.push_back(Frame {
            at: now,
            video,
            bytes,
            ts,
        });
        while self
            .frames
            .front()
            .is_some_and(|f| now.duration_since(f.at) > WINDOW)
        {
            self.frames.pop_front();
        }
    }

    /// How long input has arrived without a pause of over 2 s (zero when
    /// it has stopped).
    pub fn steady_for(&self, now: Instant) -> Duration {
        match (self.steady_since, self.last_frame) {
            (Some(since), Some(last)) if now.duration_since(last) <= STEADY_GAP => {
                now.duration_since(since)
            }
            _ => Duration::ZERO,
        }
    }

    /// Whether a frame of media has arrived yet.
    pub fn has_media(&self) -> bool {
        self.last_frame.is_some()
    }

    /// The figures now, with a verdict and its reasons.
    pub fn report(&self, now: Instant) -> Report {
        let elapsed = now.duration_since(self.started);
        let since_last = self.last_frame.map(|t| now.duration_since(t));
        let kbps = |video: bool, window: Duration| {
            let span = window.min(elapsed).as_secs_f64();
            if span <= 0.0 {
                return 0.0;
            }
            let bytes: u64 = self
                .frames
                .iter()
                .rev()
                .take_while(|f| now.duration_since(f.at) <= window)
                .filter(|f| f.video == video)
                .map(|f| u64::from(f.bytes))
                .sum();
            round1(bytes as f64 * 8.0 / 1000.0 / span)
        };
        let video = self.video_config.as_ref().map(|c| VideoHealth {
            codec: c.codec.clone(),
            profile: c.profile.clone(),
            width: c.width,
            height: c.height,
            frame_rate: self.frame_rate(),
            keyframe_interval: self.keyframe_interval(),
            bitrate_kbps: kbps(true, Duration::from_secs(1)),
            bitrate_10s_kbps: kbps(true, WINDOW),
        });
        let audio = self.audio_config.as_ref().map(|c| AudioHealth {
            codec: c.codec.clone(),
            sample_rate: c.sample_rate,
            channels: c.channels,
            bitrate_kbps: kbps(false, Duration::from_secs(1)),
            bitrate_10s_kbps: kbps(false, WINDOW),
        });

        let mut poor = Vec::new();
        let mut warn = Vec::new();
        let silent = since_last.is_none_or(|d| d > SILENT);
        if silent {
            poor.push(match since_last {
                None => "no audio or video has arrived yet".to_owned(),
                Some(d) => format!("no audio or video for {} s", d.as_secs()),
            });
        } else {
            match &video {
                None if elapsed > Duration::from_secs(3) => {
                    poor.push("no video is arriving".to_owned())
                }
                None => {}
                Some(v) => {
                    if let Some(k) = v.keyframe_interval.filter(|k| *k > MAX_KEYFRAME_INTERVAL) {
                        poor.push(format!(
                            "key frames are {k:.1} s apart (above {MAX_KEYFRAME_INTERVAL:.0} s): viewers wait long to start, and the player cannot adapt"
                        ));
                    }
                    if elapsed > Duration::from_secs(3)
                        && v.bitrate_10s_kbps > 0.0
                        && v.bitrate_kbps < v.bitrate_10s_kbps / 2.0
                    {
                        poor.push(format!(
                            "video bitrate fell to {:.0} kbps, under half its 10 s average ({:.0} kbps)",
                            v.bitrate_kbps, v.bitrate_10s_kbps
                        ));
                    }
                }
            }
            if self
                .last_backwards
                .is_some_and(|t| now.duration_since(t) <= WINDOW)
            {
                poor.push("timestamps went backwards in the last 10 s".to_owned());
            }
            if audio.is_none() && elapsed > Duration::from_secs(3) {
                warn.push("no audio is arriving".to_owned());
            }
        }
        let verdict = if silent {
            Verdict::NoSignal
        } else if !poor.is_empty() {
            Verdict::Poor
        } else if !warn.is_empty() {
            Verdict::Good
        } else {
            Verdict::Excellent
        };
        poor.extend(warn);
        Report {
            verdict,
            reasons: poor,
            video,
            audio,
            bytes_received: self.bytes,
            timestamp_gaps: self.gaps,
            timestamps_backwards: self.backwards,
            since_last_frame_ms: since_last.map(|d| d.as_millis() as u64),
        }
    }

    /// Video frames per second of media time over the window.
    fn frame_rate(&self) -> Option<f64> {
        let mut video = self.frames.iter().filter(|f| f.video);
        let first = video.next()?;
        let (n, last) = video.fold((1u32, first), |(n, _), f| (n + 1, f));
        let span = f64::from(last.ts.wrapping_sub(first.ts)) / 1000.0;
        (n >= 2 && span > 0.0).then(|| round1(f64::from(n - 1) / span))
    }

    /// Mean seconds between the last key frames; while the newest is
    /// overdue, how long it has been.
    fn keyframe_interval(&self) -> Option<f64> {
        let last_video = self.video.last_ts?;
        let newest = *self.keyframes.back()?;
        let overdue = f64::from(last_video.wrapping_sub(newest)) / 1000.0;
        let steps = self.keyframes.len().checked_sub(1).filter(|n| *n > 0);
        let mean =
            steps.map(|n| f64::from(newest.wrapping_sub(self.keyframes[0])) / 1000.0 / n as f64);
        let value = match mean {
            Some(m) if overdue <= m + 0.5 => m,
            Some(_) => overdue,
            None if overdue > MAX_KEYFRAME_INTERVAL => overdue,
            None => return None,
        };
        Some((value * 100.0).round() / 100.0)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn video_codec_name(id: u8) -> &'static str {
    match id {
        2 => "sorenson-h263",
        3 => "screen-video",
        4 => "vp6",
        5 => "vp6-alpha",
        6 => "screen-video-2",
        7 => "h264",
        12 => "hevc",
        _ => "unknown",
    }
}

fn audio_codec_name(format: u8) -> &'static str {
    match format {
        0 | 3 => "pcm",
        1 => "adpcm",
        2 => "mp3",
        4..=6 => "nellymoser",
        7 => "g711-alaw",
        8 => "g711-mulaw",
        10 => "aac",
        11 => "speex",
        14 => "mp3-8khz",
        _ => "unknown",
    }
}

/// The first SPS of an AVCDecoderConfigurationRecord (ISO/IEC 14496-15
/// §5.2.4.1.1): version, profile, compatibility, level, length size, then
/// the SPS count and each SPS behind a 16-bit length.
fn avc_config(record: &[u8]) -> VideoConfig {
    let mut config = VideoConfig {
        codec: "h264".to_owned(),
        ..VideoConfig::default()
    };
    let sps = record.get(5).and_then(|&count| {
        if count & 0x1f == 0 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*record.get(6)?, *record.get(7)?]));
        record.get(8..8 + len)
    });
    if let Some(sps) = sps.and_then(parse_sps) {
        config.profile = Some(sps.profile.to_owned());
        config.width = Some(sps.width);
        config.height = Some(sps.height);
    }
    config
}

/// What the ingest reads of an H.264 sequence parameter set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sps {
    pub profile: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Exp-Golomb bit reader over an RBSP (ITU-T H.264 §9.1).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(bit))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0u32, |acc, _| Some((acc << 1) | self.bit()?))
    }

    /// ue(v).
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some((1u32 << zeros) - 1 + self.bits(zeros)?)
    }

    /// se(v).
    fn se(&mut self) -> Option<i32> {
        let k = self.ue()?;
        let magnitude = i32::try_from(k.div_ceil(2)).ok()?;
        Some(if k % 2 == 1 { magnitude } else { -magnitude })
    }
}

/// Parses an SPS NAL unit (header byte included): profile, and the
/// picture size after cropping (ITU-T H.264 §7.3.2.1.1, §7.4.2.1.1).
pub fn parse_sps(nal: &[u8]) -> Option<Sps> {
    if nal.first()? & 0x1f != 7 {
        return None;
    }
    // Emulation prevention bytes out (§7.4.1: 00 00 03 -> 00 00).
    let mut rbsp = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in &nal[1..] {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        rbsp.push(b);
    }
    let mut r = Bits {
        data: &rbsp,
        pos: 0,
    };
    let profile_idc = r.bits(8)?;
    let _constraints = r.bits(8)?;
    let _level = r.bits(8)?;
    let _sps_id = r.ue()?;
    let mut chroma_format_idc = 1;
    let mut separate_colour_plane = 0;
    if matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        chroma_format_idc = r.ue()?;
        if chroma_format_idc == 3 {
            separate_colour_plane = r.bit()?;
        }
        let _bit_depth_luma = r.ue()?;
        let _bit_depth_chroma = r.ue()?;
        let _qpprime_bypass = r.bit()?;
        if r.bit()? == 1 {
            // seq_scaling_matrix_present_flag: skip the lists (§7.3.2.1.1.1).
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bit()? == 1 {
                    let size = if i < 6 { 16 } else { 64 };
                    let (mut last, mut next) = (8i32, 8i32);
                    for _ in 0..size {
                        if next != 0 {
                            next = (last + r.se()? + 256) % 256;
                        }
                        if next != 0 {
                            last = next;
                        }
                    }
                }
            }
        }
    }
    let _log2_max_frame_num = r.ue()?;
    let poc_type = r.ue()?;
    if poc_type == 0 {
        let _log2_max_poc_lsb = r.ue()?;
    } else if poc_type == 1 {
        let _delta_always_zero = r.bit()?;
        let _offset_non_ref = r.se()?;
        let _offset_top_bottom = r.se()?;
        let cycle = r.ue()?;
        if cycle > 255 {
            return None;
        }
        for _ in 0..cycle {
            r.se()?;
        }
    }
    let _max_ref_frames = r.ue()?;
    let _gaps_allowed = r.bit()?;
    let width_mbs = r.ue()?.checked_add(1)?;
    let height_map_units = r.ue()?.checked_add(1)?;
    let frame_mbs_only = r.bit()?;
    if frame_mbs_only == 0 {
        let _mb_adaptive = r.bit()?;
    }
    let _direct_8x8 = r.bit()?;
    let (mut crop_l, mut crop_r, mut crop_t, mut crop_b) = (0, 0, 0, 0);
    if r.bit()? == 1 {
        crop_l = r.ue()?;
        crop_r = r.ue()?;
        crop_t = r.ue()?;
        crop_b = r.ue()?;
    }
    // Table 6-1 and equations 7-19 to 7-22.
    let chroma_array_type = if separate_colour_plane == 1 {
        0
    } else {
        chroma_format_idc
    };
    let (sub_w, sub_h) = match chroma_format_idc {
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    let (crop_unit_x, crop_unit_y) = if chroma_array_type == 0 {
        (1, 2 - frame_mbs_only)
    } else {
        (sub_w, sub_h * (2 - frame_mbs_only))
    };
    let width = (width_mbs * 16).checked_sub(crop_unit_x * (crop_l + crop_r))?;
    let height = ((2 - frame_mbs_only) * height_map_units * 16)
        .checked_sub(crop_unit_y * (crop_t + crop_b))?;
    let profile = match profile_idc {
        66 => "Baseline",
        77 => "Main",
        88 => "Extended",
        100 => "High",
        110 => "High 10",
        122 => "High 4:2:2",
        244 => "High 4:4:4 Predictive",
        _ => "other",
    };
    Some(Sps {
        profile,
        width,
        height,
    })
}

/// An AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1): object type (5 bits),
/// sampling frequency index (4 bits, or 15 and 24 bits of rate), channel
/// configuration (4 bits).
fn aac_config(asc: &[u8]) -> AudioConfig {
    const RATES: [u32; 13] = [
        96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025,
        8_000, 7_350,
    ];
    let mut config = AudioConfig {
        codec: "aac".to_owned(),
        ..AudioConfig::default()
    };
    let mut r = Bits { data: asc, pos: 0 };
    let parsed = (|| {
        let mut object = r.bits(5)?;
        if object == 31 {
            object = 32 + r.bits(6)?;
        }
        let index = r.bits(4)?;
        let rate = if index == 15 {
            r.bits(24)?
        } else {
            *RATES.get(index as usize)?
        };
        let channels = r.bits(4)?;
        Some((object, rate, channels))
    })();
    if let Some((_object, rate, channels)) = parsed {
        config.sample_rate = Some(rate);
        // Configuration 7 is 7.1: eight channels (Table 1.19).
        config.channels = Some(if channels == 7 { 8 } else { channels });
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SPS x264 writes for ffmpeg's `testsrc2` at 1280x720, High
    /// profile (`ffmpeg -f lavfi -i testsrc2=size=1280x720 -c:v libx264
    /// -profile:v high -f h264`): 45 macroblock rows, no cropping.
    const SPS_720P_HIGH: [u8; 26] = [
        0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03,
        0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60,
    ];

    /// The same at 1920x1080: 68 rows (1088 lines), 8 cropped, and an
    /// emulation prevention byte to take out.
    const SPS_1080P_HIGH: [u8; 27] = [
        0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00,
        0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc6, 0x58,
    ];

    #[test]
    fn reads_sps_sizes_and_profiles() {
        let sps = parse_sps(&SPS_720P_HIGH).unwrap();
        assert_eq!((sps.profile, sps.width, sps.height), ("High", 1280, 720));
        let sps = parse_sps(&SPS_1080P_HIGH).unwrap();
        assert_eq!((sps.profile, sps.width, sps.height), ("High", 1920, 1080));
        // Not an SPS, truncated, empty: nothing, no panic.
        assert_eq!(parse_sps(&[0x68, 0xee]), None);
        assert_eq!(parse_sps(&SPS_720P_HIGH[..6]), None);
        assert_eq!(parse_sps(&[]), None);
    }

    #[test]
    fn reads_aac_config() {
        // AAC-LC, 44.1 kHz, stereo: 00010 0100 0010 000.
        let c = aac_config(&[0x12, 0x10]);
        assert_eq!((c.sample_rate, c.channels), (Some(44_100), Some(2)));
        // 48 kHz mono.
        let c = aac_config(&[0x11, 0x88]);
        assert_eq!((c.sample_rate, c.channels), (Some(48_000), Some(1)));
        assert_eq!(aac_config(&[]).sample_rate, None);
    }

    /// A video tag: key or inter frame of AVC NALUs (the body's size is
    /// what counts).
    fn avc_frame(key: bool, size: usize) -> Vec<u8> {
        let mut v = vec![if key { 0x17 } else { 0x27 }, 1, 0, 0, 0];
        v.resize(size, 0);
        v
    }

    #[test]
    fn measures_rate_keyframes_bitrate_and_verdict() {
        let t0 = Instant::now();
        let mut m = Meter::new(t0);
        let mut header = vec![0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 26];
        header.extend_from_slice(&SPS_720P_HIGH);
        m.video(t0, 0, &header);
        // 6 s of 30 fps with a key frame every 2 s, 12,500 bytes a frame
        // (3 Mb/s), and AAC at 44.1 kHz.
        m.audio(t0, 0, &[0xaf, 0, 0x12, 0x10]);
        for i in 0..180u32 {
            let ts = i * 1000 / 30;
            let at = t0 + Duration::from_millis(u64::from(ts));
            m.video(at, ts, &avc_frame(i % 60 == 0, 12_500));
            m.audio(at, ts, &[0xaf, 1, 0, 0]);
        }
        let now = t0 + Duration::from_millis(6_000);
        let r = m.report(now);
        let v = r.video.unwrap();
        assert_eq!((v.width, v.height), (Some(1280), Some(720)));
        assert_eq!(v.profile.as_deref(), Some("High"));
        assert!((v.frame_rate.unwrap() - 30.0).abs() < 0.2, "{v:?}");
        assert!((v.keyframe_interval.unwrap() - 2.0).abs() < 0.05, "{v:?}");
        assert!((v.bitrate_10s_kbps - 3000.0).abs() < 60.0, "{v:?}");
        assert_eq!(r.audio.unwrap().sample_rate, Some(44_100));
        assert_eq!(r.verdict, Verdict::Excellent, "{:?}", r.reasons);
        assert!(m.steady_for(now) >= Duration::from_secs(5));

        // Timestamps backwards: poor, said in words.
        m.video(now, 100, &avc_frame(false, 100));
        let r = m.report(now);
        assert_eq!(r.verdict, Verdict::Poor);
        assert!(
            r.reasons.iter().any(|x| x.contains("backwards")),
            "{:?}",
            r.reasons
        );

        // Silence: no signal, and no longer steady.
        let later = now + Duration::from_secs(6);
        assert_eq!(m.report(later).verdict, Verdict::NoSignal);
        assert_eq!(m.steady_for(later), Duration::ZERO);
    }

    #[test]
    fn sparse_keyframes_and_missing_audio_are_said() {
        let t0 = Instant::now();
        let mut m = Meter::new(t0);
        for i in 0..300u32 {
            let ts = i * 1000 / 30;
            m.video(
                t0 + Duration::from_millis(u64::from(ts)),
                ts,
                &avc_frame(i % 180 == 0, 1_000),
            );
        }
        let r = m.report(t0 + Duration::from_millis(10_000));
        assert_eq!(r.verdict, Verdict::Poor);
        assert!(
            r.reasons
                .iter()
                .any(|x| x.contains("key frames are 6.0 s apart")),
            "{:?}",
            r.reasons
        );
        assert!(
            r.reasons.iter().any(|x| x.contains("no audio")),
            "{:?}",
            r.reasons
        );
    }

    #[test]
    fn garbage_tags_do_not_panic() {
        let t0 = Instant::now();
        let mut m = Meter::new(t0);
        for data in [
            &[][..],
            &[0x17],
            &[0x17, 0],
            &[0xaf],
            &[0xaf, 0],
            &[0xff; 3],
        ] {
            m.video(t0, 0, data);
            m.audio(t0, 0, data);
        }
        let _ = m.report(t0);
    }
}
