//! Where the broadcasting software sends the stream. Spec §3: `rtmpPath` is
//! the full ingest URL, `rtmp://` or `rtmps://`, and the stream key is its
//! last path segment: clients split at the last `/`.

use onair_api::Secret;

use crate::error::{Error, Result};

/// Server URL and stream key, as OBS and the like ask for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamTarget {
    /// `rtmp(s)://host[:port]/app`, without the key.
    pub server: String,
    pub key: Secret,
}

impl StreamTarget {
    /// Splits an `rtmpPath` at its last `/`.
    pub fn from_rtmp_path(path: &str) -> Result<Self> {
        let path = path.trim();
        let lower = path.to_ascii_lowercase();
        let rest = ["rtmp://", "rtmps://"]
            .iter()
            .find_map(|s| lower.strip_prefix(s).map(|_| &path[s.len()..]))
            .ok_or_else(|| Error::Ingest("the ingest URL is not rtmp:// or rtmps://".into()))?;
        let Some((host_and_app, key)) = rest.rsplit_once('/') else {
            return Err(Error::Ingest("the ingest URL has no stream key".into()));
        };
        if host_and_app.is_empty() || host_and_app.starts_with('/') {
            return Err(Error::Ingest("the ingest URL has no host".into()));
        }
        if key.is_empty() {
            return Err(Error::Ingest("the stream key is empty".into()));
        }
        Ok(Self {
            server: path[..path.len() - key.len() - 1].to_owned(),
            key: Secret::new(key),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_last_slash() {
        let t = StreamTarget::from_rtmp_path("rtmp://ingest.example:1935/live/app/sk_ABC").unwrap();
        assert_eq!(t.server, "rtmp://ingest.example:1935/live/app");
        assert_eq!(t.key.expose(), "sk_ABC");
        let t = StreamTarget::from_rtmp_path("RTMPS://x.example/k").unwrap();
        assert_eq!(
            (t.server.as_str(), t.key.expose()),
            ("RTMPS://x.example", "k")
        );
        assert!(!format!("{t:?}").contains("\"k\""));
    }

    #[test]
    fn refuses_what_is_not_an_ingest_url() {
        for bad in [
            "https://x.example/live/key",
            "rtmp://x.example/live/",
            "rtmp://x.example",
            "rtmp:///key",
            "",
            "srt://x.example/key",
        ] {
            assert!(
                matches!(StreamTarget::from_rtmp_path(bad), Err(Error::Ingest(_))),
                "{bad:?}"
            );
        }
    }
}
