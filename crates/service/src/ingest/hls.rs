//! HLS from the incoming stream, without transcoding: the FLV tags'
//! H.264 and AAC are remuxed into MPEG-TS segments (ISO/IEC 13818-1,
//! through the `mpeg2ts` crate) of about 2 s, cut at key frames, and listed
//! in a live playlist (RFC 8216 §4.3) of the last 6. A finished segment is
//! written to the live's directory and deleted when it leaves the window;
//! only the segment being written is in memory (some 0.8 MiB at 3 Mb/s),
//! the rest is the page cache's, as with nginx-rtmp.
//!
//! Why in-process: remuxing is a few memory copies per frame, where an
//! ffmpeg child per stream needs supervising (restarts, a hung child,
//! cleanup) and costs more. Measured 2026-12-06 with the ingest
//! benchmark's 3 Mb/s 720p30 clip: `ffmpeg -re -i clip.flv -c copy -f hls`
//! alone used 0.85 % of a core and 55.5 MiB resident, where the whole
//! ingest (RTMP, health and this remux) used 0.26-0.36 % and 0.9-2.6 MiB
//! per stream (README, "The RTMP ingest and its HLS"). `mpeg2ts` (MIT, no dependencies) writes the PAT, PMT
//! and PES packets with their stuffing and CRCs; turning AVCC into Annex B
//! (ISO/IEC 14496-15 §5.3.2, ITU-T H.264 Annex B) and raw AAC into ADTS
//! (ISO/IEC 13818-7 §6.2) is ours.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};

use mpeg2ts::es::{StreamId, StreamType};
use mpeg2ts::pes::PesHeader;
use mpeg2ts::time::{ClockReference, Timestamp};
use mpeg2ts::ts::payload::{Bytes, Pat, Pes, Pmt};
use mpeg2ts::ts::{
    AdaptationField, ContinuityCounter, EsInfo, Pid, ProgramAssociation,
    TransportScramblingControl, TsHeader, TsPacket, TsPayload, VersionNumber,
};

/// Segments listed in the playlist.
pub const WINDOW: usize = 6;
/// A segment is cut at the first key frame after this many ms.
const TARGET_MS: u32 = 2_000;
/// Largest segment kept (a stream with no key frames cannot grow one
/// without bound): cut regardless past this.
const MAX_SEGMENT_BYTES: usize = 16 * 1024 * 1024;

const PMT_PID: u16 = 0x1000;
const VIDEO_PID: u16 = 0x100;
const AUDIO_PID: u16 = 0x101;

/// A finished segment, in its file.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Its media sequence number (and file name: `{seq}.ts`).
    pub seq: u64,
    /// Seconds.
    pub duration: f64,
    /// Starts after a new publisher's timestamps: `#EXT-X-DISCONTINUITY`.
    pub discontinuity: bool,
    pub bytes: usize,
    /// When its first frame arrived: `#EXT-X-PROGRAM-DATE-TIME`, so a
    /// player can tell how far behind the encoder it plays.
    pub received: DateTime<Utc>,
}

#[derive(Debug)]
struct Building {
    seq: u64,
    /// Media time of its first frame, ms.
    start: u32,
    /// Media time of its newest frame, ms.
    last: u32,
    discontinuity: bool,
    data: Vec<u8>,
    received: DateTime<Utc>,
}

/// The codec configuration the stream's sequence headers gave.
#[derive(Debug, Default)]
struct Codecs {
    /// SPS and PPS as Annex B, put before every key frame.
    parameter_sets: Vec<u8>,
    /// Bytes of each NAL unit's length field (1, 2 or 4).
    nal_length_size: usize,
    /// AAC: audio object type, sampling frequency index, channels.
    aac: Option<(u8, u8, u8)>,
    has_video: bool,
}

/// One live's HLS: the segment being written and the last [`WINDOW`], in
/// a directory of its own (removed with it).
#[derive(Debug)]
pub struct Hls {
    dir: PathBuf,
    codecs: Codecs,
    building: Option<Building>,
    segments: VecDeque<Segment>,
    next_seq: u64,
    /// The next segment follows a new publisher.
    discontinuity: bool,
    /// PAT, PMT, video, audio.
    counters: [u8; 4],
}

impl Drop for Hls {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Hls {
    /// An HLS writing its segments into `dir` (created, emptied).
    pub fn new(dir: PathBuf) -> Self {
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "HLS directory");
        }
        Self {
            dir,
            codecs: Codecs::default(),
            building: None,
            segments: VecDeque::new(),
            next_seq: 0,
            discontinuity: false,
            counters: [0; 4],
        }
    }

    /// The directory of its files.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// A new publisher: its timestamps start afresh, and its sequence
    /// headers come again.
    pub fn new_publisher(&mut self) {
        self.finish();
        self.codecs = Codecs::default();
        self.discontinuity = self.next_seq > 0;
    }

    /// An FLV video tag body (AVC only; other codecs are not remuxed).
    pub fn video(&mut self, ts: u32, data: &[u8]) {
        if data.len() < 5 || data[0] & 0x0f != 7 {
            return;
        }
        let key = data[0] >> 4 == 1;
        // Composition time: SI24 (FLV spec E.4.3.1).
        let cts = i32::from_be_bytes([0, data[2], data[3], data[4]]) << 8 >> 8;
        match data[1] {
            0 => self.avc_config(&data[5..]),
            1 => {
                if self.codecs.parameter_sets.is_empty() {
                    return;
                }
                if key && self.segment_due(ts) {
                    self.finish_at(Some(ts));
                    self.start(ts);
                }
                let Some(annex_b) = self.annex_b(&data[5..], key) else {
                    return;
                };
                let dts = u64::from(ts) * 90;
                let pts = (i64::from(ts) + i64::from(cts)).max(0) as u64 * 90;
                self.write(VIDEO_PID, ts, &annex_b, pts, Some(dts), key);
            }
            _ => {}
        }
    }

    /// An FLV audio tag body (AAC only).
    pub fn audio(&mut self, ts: u32, data: &[u8]) {
        if data.len() < 2 || data[0] >> 4 != 10 {
            return;
        }
        if data[1] == 0 {
            // AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
            if let (Some(&a), Some(&b)) = (data.get(2), data.get(3)) {
                let object = a >> 3;
                let index = ((a & 7) << 1) | (b >> 7);
                let channels = (b >> 3) & 0x0f;
                self.codecs.aac = Some((object.max(1), index, channels));
            }
            return;
        }
        let Some((object, index, channels)) = self.codecs.aac else {
            return;
        };
        if !self.codecs.has_video && self.segment_due(ts) {
            self.finish_at(Some(ts));
            self.start(ts);
        }
        let raw = &data[2..];
        let frame_len = raw.len() + 7;
        if frame_len >= 1 << 13 {
            return;
        }
        // ADTS header (ISO/IEC 13818-7 §6.2.1), no CRC.
        let mut adts = Vec::with_capacity(frame_len);
        adts.extend_from_slice(&[
            0xff,
            0xf1,
            ((object - 1) << 6) | (index << 2) | (channels >> 2),
            ((channels & 3) << 6) | (frame_len >> 11) as u8,
            (frame_len >> 3) as u8,
            (((frame_len & 7) as u8) << 5) | 0x1f,
            0xfc,
        ]);
        adts.extend_from_slice(raw);
        let pts = u64::from(ts) * 90;
        self.write(AUDIO_PID, ts, &adts, pts, None, false);
    }

    /// Whether a frame at `ts` may open a new segment: none is open, or
    /// the open one has its 2 s.
    fn segment_due(&self, ts: u32) -> bool {
        self.building
            .as_ref()
            .is_none_or(|b| ts.wrapping_sub(b.start) >= TARGET_MS)
    }

    /// The AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.2.4.1.1):
    /// its SPS and PPS become Annex B parameter sets.
    fn avc_config(&mut self, record: &[u8]) {
        let mut sets = Vec::new();
        let Some(&len_byte) = record.get(4) else {
            return;
        };
        let mut at = 5;
        for _ in 0..2 {
            let Some(&count) = record.get(at) else { return };
            let count = if sets.is_empty() { count & 0x1f } else { count };
            at += 1;
            for _ in 0..count {
                let Some(len) = record.get(at..at + 2) else {
                    return;
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                let Some(nal) = record.get(at + 2..at + 2 + len) else {
                    return;
                };
                sets.extend_from_slice(&[0, 0, 0, 1]);
                sets.extend_from_slice(nal);
                at += 2 + len;
            }
        }
        self.codecs.parameter_sets = sets;
        self.codecs.nal_length_size = usize::from(len_byte & 3) + 1;
        self.codecs.has_video = true;
    }

    /// Length-prefixed NAL units to Annex B: an access unit delimiter
    /// first, the parameter sets before a key frame.
    fn annex_b(&self, avcc: &[u8], key: bool) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(avcc.len() + 64);
        out.extend_from_slice(&[0, 0, 0, 1, 0x09, 0xf0]);
        if key {
            out.extend_from_slice(&self.codecs.parameter_sets);
        }
        let n = self.codecs.nal_length_size;
        let mut at = 0;
        while at + n <= avcc.len() {
            let len = avcc[at..at + n]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            let nal = avcc.get(at + n..at + n + len)?;
            // The stream's own delimiters go: ours is first.
            if nal.first().is_some_and(|h| h & 0x1f != 9) {
                out.extend_from_slice(&[0, 0, 0, 1]);
                out.extend_from_slice(nal);
            }
            at += n + len;
        }
        Some(out)
    }

    /// Opens a segment at media time `ts`: PAT and PMT first.
    fn start(&mut self, ts: u32) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let discontinuity = std::mem::take(&mut self.discontinuity);
        // About the size of the last one: no doubling past it.
        let last = self.segments.back().map_or(256 * 1024, |s| s.bytes);
        let mut data = Vec::with_capacity(last + last / 8);
        let pat = TsPayload::Pat(Pat {
            transport_stream_id: 1,
            version_number: VersionNumber::new(),
            table: vec![ProgramAssociation {
                program_num: 1,
                program_map_pid: pid(PMT_PID),
            }],
        });
        let mut es_info = Vec::new();
        if self.codecs.has_video {
            es_info.push(EsInfo {
                stream_type: StreamType::H264,
                elementary_pid: pid(VIDEO_PID),
                descriptors: vec![],
            });
        }
        if self.codecs.aac.is_some() {
            es_info.push(EsInfo {
                stream_type: StreamType::AdtsAac,
                elementary_pid: pid(AUDIO_PID),
                descriptors: vec![],
            });
        }
        let pmt = TsPayload::Pmt(Pmt {
            program_num: 1,
            pcr_pid: Some(pid(if self.codecs.has_video {
                VIDEO_PID
            } else {
                AUDIO_PID
            })),
            version_number: VersionNumber::new(),
            program_info: vec![],
            es_info,
        });
        let pat = self.packet(0, None, Some(pat));
        let pmt = self.packet(PMT_PID, None, Some(pmt));
        for p in [pat, pmt] {
            let _ = p.write_to_vec(&mut data);
        }
        self.building = Some(Building {
            seq,
            start: ts,
            last: ts,
            discontinuity,
            data,
            received: Utc::now(),
        });
    }

    /// Closes the segment being written, if any (its publisher left); the
    /// oldest beyond the window goes.
    pub fn finish(&mut self) {
        self.finish_at(None);
    }

    /// Closes the segment being written where the next one starts (media
    /// time `end`), or after its last frame.
    fn finish_at(&mut self, end: Option<u32>) {
        let Some(b) = self.building.take() else {
            return;
        };
        let duration = match end {
            Some(end) => f64::from(end.wrapping_sub(b.start)) / 1000.0,
            // The last frame's own length is not known: one 30 fps frame.
            None => f64::from(b.last.wrapping_sub(b.start)) / 1000.0 + 1.0 / 30.0,
        };
        if let Err(e) = std::fs::write(self.path(b.seq), &b.data) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "writing an HLS segment failed");
            return;
        }
        self.segments.push_back(Segment {
            seq: b.seq,
            duration,
            discontinuity: b.discontinuity,
            bytes: b.data.len(),
            received: b.received,
        });
        while self.segments.len() > WINDOW {
            if let Some(old) = self.segments.pop_front() {
                let _ = std::fs::remove_file(self.path(old.seq));
            }
        }
    }

    /// One PES packet of `data`, split into TS packets. Video PES carry
    /// the PCR; key frames are marked random access points.
    fn write(&mut self, pid_: u16, ts: u32, data: &[u8], pts: u64, dts: Option<u64>, key: bool) {
        let counter_index = if pid_ == VIDEO_PID { 2 } else { 3 };
        let Some(b) = self.building.as_mut() else {
            return;
        };
        b.last = ts;
        let pts = Timestamp::new(pts & Timestamp::MAX).ok();
        let dts = dts.and_then(|d| Timestamp::new(d & Timestamp::MAX).ok());
        let header = PesHeader {
            stream_id: StreamId::new(if pid_ == VIDEO_PID { 0xe0 } else { 0xc0 }),
            priority: false,
            data_alignment_indicator: true,
            copyright: false,
            original_or_copy: false,
            pts,
            dts,
            escr: None,
        };
        let optional = 3 + if pts.is_some() { 5 } else { 0 } + if dts.is_some() { 5 } else { 0 };
        let adaptation = (pid_ == VIDEO_PID).then(|| AdaptationField {
            discontinuity_indicator: false,
            random_access_indicator: key,
            es_priority_indicator: false,
            pcr: dts.and_then(|d| ClockReference::new(d.as_u64() * 300).ok()),
            opcr: None,
            splice_countdown: None,
            transport_private_data: vec![],
            extension: None,
        });
        let adaptation_len = adaptation
            .as_ref()
            .map_or(0, |a| 2 + if a.pcr.is_some() { 6 } else { 0 });
        let first_len = data
            .len()
            .min(Bytes::MAX_SIZE - 6 - optional - adaptation_len);
        // Video PES are unbounded (0); audio ones carry their length.
        let pes_len = if pid_ == VIDEO_PID {
            0
        } else {
            u16::try_from(optional + data.len()).unwrap_or(0)
        };
        let Ok(first) = Bytes::new(&data[..first_len]) else {
            return;
        };
        let start = TsPayload::PesStart(Pes {
            header,
            pes_packet_len: pes_len,
            data: first,
        });
        let mut packets = vec![self.packet_on(counter_index, pid_, adaptation, Some(start))];
        for chunk in data[first_len..].chunks(Bytes::MAX_SIZE) {
            let Ok(bytes) = Bytes::new(chunk) else { return };
            packets.push(self.packet_on(
                counter_index,
                pid_,
                None,
                Some(TsPayload::PesContinuation(bytes)),
            ));
        }
        let Some(b) = self.building.as_mut() else {
            return;
        };
        for p in packets {
            let _ = p.write_to_vec(&mut b.data);
        }
        if b.data.len() > MAX_SEGMENT_BYTES {
            self.finish();
        }
    }

    fn packet(
        &mut self,
        pid_: u16,
        adaptation: Option<AdaptationField>,
        payload: Option<TsPayload>,
    ) -> TsPacket {
        let index = if pid_ == 0 { 0 } else { 1 };
        self.packet_on(index, pid_, adaptation, payload)
    }

    fn packet_on(
        &mut self,
        counter_index: usize,
        pid_: u16,
        adaptation: Option<AdaptationField>,
        payload: Option<TsPayload>,
    ) -> TsPacket {
        let counter = self.counters[counter_index];
        self.counters[counter_index] = (counter + 1) % 16;
        TsPacket {
            header: TsHeader {
                transport_error_indicator: false,
                transport_priority: false,
                pid: pid(pid_),
                transport_scrambling_control: TransportScramblingControl::NotScrambled,
                continuity_counter: ContinuityCounter::from_u8(counter).unwrap_or_default(),
            },
            adaptation_field: adaptation,
            payload,
        }
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq}.ts"))
    }

    /// The file of a finished segment, while it is in the window.
    pub fn segment(&self, seq: u64) -> Option<PathBuf> {
        self.segments
            .iter()
            .any(|s| s.seq == seq)
            .then(|| self.path(seq))
    }

    /// Whether a segment is listed yet.
    pub fn has_segments(&self) -> bool {
        !self.segments.is_empty()
    }

    /// Segments listed.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Bytes held in memory: the segment being written.
    pub fn memory(&self) -> usize {
        self.building.as_ref().map_or(0, |b| b.data.capacity())
    }

    /// The live playlist (RFC 8216 §4.3.3); `ended` closes it with
    /// `#EXT-X-ENDLIST` (§4.3.3.4).
    pub fn playlist(&self, ended: bool) -> String {
        let target = self
            .segments
            .iter()
            // §4.3.3.1: each EXTINF, rounded, at most the target.
            .map(|s| s.duration.round() as u64)
            .max()
            .unwrap_or(2)
            .max(2);
        let first = self.segments.front().map_or(0, |s| s.seq);
        let mut m3u8 = format!(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{first}\n"
        );
        for s in &self.segments {
            if s.discontinuity {
                m3u8.push_str("#EXT-X-DISCONTINUITY\n");
            }
            // §4.3.2.6: the wall-clock time of the segment's first sample.
            let _ = writeln!(
                m3u8,
                "#EXT-X-PROGRAM-DATE-TIME:{}",
                s.received.to_rfc3339_opts(SecondsFormat::Millis, true)
            );
            let _ = write!(m3u8, "#EXTINF:{:.3},\n{}.ts\n", s.duration, s.seq);
        }
        if ended {
            m3u8.push_str("#EXT-X-ENDLIST\n");
        }
        m3u8
    }
}

fn pid(n: u16) -> Pid {
    Pid::new(n).expect("a PID under 0x1fff")
}

/// Writes a TS packet into a byte vector.
trait WriteToVec {
    fn write_to_vec(&self, out: &mut Vec<u8>) -> mpeg2ts::Result<()>;
}

impl WriteToVec for TsPacket {
    fn write_to_vec(&self, out: &mut Vec<u8>) -> mpeg2ts::Result<()> {
        use mpeg2ts::ts::{TsPacketWriter, WriteTsPacket};
        TsPacketWriter::new(out).write_ts_packet(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPS: [u8; 26] = [
        0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03,
        0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60,
    ];

    fn config_tag() -> Vec<u8> {
        let mut v = vec![0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 26];
        v.extend_from_slice(&SPS);
        v.extend_from_slice(&[1, 0, 4, 0x68, 0xeb, 0xe3, 0xcb]);
        v
    }

    fn frame(key: bool, size: usize) -> Vec<u8> {
        let mut v = vec![if key { 0x17 } else { 0x27 }, 1, 0, 0, 0];
        v.extend_from_slice(&(size as u32).to_be_bytes());
        v.push(if key { 0x65 } else { 0x41 });
        v.resize(9 + size, 0xab);
        v
    }

    fn temp(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!("onair-hls-test-{tag}-{}", std::process::id()))
    }

    #[test]
    fn cuts_at_key_frames_keeps_a_window_and_ends() {
        let dir = temp("window");
        let mut hls = Hls::new(dir.clone());
        hls.video(0, &config_tag());
        hls.audio(0, &[0xaf, 0, 0x12, 0x10]);
        // 30 s of 30 fps, a key frame every 2 s.
        for i in 0..900u32 {
            let ts = i * 1000 / 30;
            hls.video(ts, &frame(i % 60 == 0, 3_000));
            hls.audio(ts, &[0xaf, 1, 0x21, 0x10, 0x05]);
        }
        let playlist = hls.playlist(false);
        assert!(playlist.starts_with("#EXTM3U\n"), "{playlist}");
        assert_eq!(playlist.matches("#EXTINF:").count(), WINDOW, "{playlist}");
        assert!(playlist.contains("#EXT-X-MEDIA-SEQUENCE:8\n"), "{playlist}");
        assert!(playlist.contains("#EXTINF:2.000,\n13.ts\n"), "{playlist}");
        assert!(!playlist.contains("ENDLIST"));
        assert!(hls.segment(7).is_none(), "old segments are dropped");
        assert!(!dir.join("7.ts").exists(), "and deleted");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), WINDOW);
        let seg = std::fs::read(hls.segment(13).unwrap()).unwrap();
        assert_eq!(seg.len() % 188, 0);
        assert!(seg.chunks(188).all(|p| p[0] == 0x47));
        // Continuity counters run per PID.
        let mut last: std::collections::HashMap<u16, u8> = Default::default();
        for p in seg.chunks(188) {
            let pid = (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]);
            if let Some(prev) = last.insert(pid, p[3] & 0x0f) {
                assert_eq!((prev + 1) % 16, p[3] & 0x0f, "pid {pid:#x}");
            }
        }
        hls.new_publisher();
        assert!(hls.playlist(true).ends_with("#EXT-X-ENDLIST\n"));
        // After a new publisher: a discontinuity before its first segment.
        hls.video(0, &config_tag());
        for i in 0..70u32 {
            hls.video(i * 34, &frame(i % 60 == 0, 100));
        }
        let playlist = hls.playlist(false);
        let lines: Vec<&str> = playlist.lines().collect();
        let at = lines
            .iter()
            .position(|l| *l == "15.ts")
            .expect("segment 15");
        assert_eq!(lines[at - 1], "#EXTINF:2.040,", "{playlist}");
        assert_eq!(lines[at - 3], "#EXT-X-DISCONTINUITY", "{playlist}");
        // Each segment says when its first frame arrived (§4.3.2.6).
        for (i, _) in lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with("#EXTINF:"))
        {
            let pdt = lines[i - 1]
                .strip_prefix("#EXT-X-PROGRAM-DATE-TIME:")
                .unwrap_or_else(|| panic!("{playlist}"));
            let t = chrono::DateTime::parse_from_rfc3339(pdt).expect("RFC 3339");
            assert!((Utc::now() - t.with_timezone(&Utc)).num_seconds().abs() < 60);
        }
        assert!(hls.memory() < 256 * 1024);
        drop(hls);
        assert!(!dir.exists(), "the directory goes with it");
    }

    #[test]
    fn garbage_does_not_panic() {
        let mut hls = Hls::new(temp("garbage"));
        for data in [
            &[][..],
            &[0x17, 0, 0, 0, 0, 1],
            &[0x17, 1, 0, 0, 0, 0, 0, 0, 0xff],
            &[0xaf, 0],
            &[0xaf, 1, 2],
        ] {
            hls.video(0, data);
            hls.audio(0, data);
        }
        hls.video(0, &config_tag());
        hls.video(0, &[0x17, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1]);
        hls.finish();
        let _ = hls.playlist(true);
    }
}
