//! Pictures the service names (the user's avatar, channels' thumbnails),
//! fetched here for the page (issue 19): the page's CSP keeps `img-src`
//! to the app itself, `data:` and the app's `picture:` scheme, so a
//! script that ever ran in it could not send anything out through an
//! image's address. The page asks for a picture by a key
//! ([`picture_key`]), never by a URL, and only a URL the service has sent
//! has a key that answers: the signed-in user's avatar, the thumbnails of
//! the channels last listed.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use onair_client::{Media, PictureClient};
use url::Url;

use crate::error::{Error, Result};
use crate::Desk;

/// Most URLs remembered (channels of one listing and then some).
const MOST: usize = 512;

/// The key the page asks for `url` by.
pub fn picture_key(url: &str) -> String {
    let mut h = std::hash::DefaultHasher::new();
    url.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// The URLs the page may ask for, by key.
#[derive(Debug, Default)]
pub(crate) struct Pictures {
    allowed: std::sync::Mutex<HashMap<String, String>>,
    http: std::sync::OnceLock<PictureClient>,
}

impl Pictures {
    /// `urls` may be asked for from now on (https ones only).
    pub(crate) fn allow<'a>(&self, urls: impl IntoIterator<Item = &'a str>) {
        let mut allowed = self.allowed.lock().unwrap_or_else(|e| e.into_inner());
        for url in urls.into_iter().filter(|u| u.starts_with("https://")) {
            if allowed.len() >= MOST {
                allowed.clear();
            }
            allowed.insert(picture_key(url), url.to_owned());
        }
    }

    fn url(&self, key: &str) -> Option<String> {
        self.allowed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    fn http(&self) -> Result<PictureClient> {
        if let Some(c) = self.http.get() {
            return Ok(c.clone());
        }
        let c = PictureClient::new()?;
        Ok(self.http.get_or_init(|| c).clone())
    }
}

impl Desk {
    /// The picture of `key` (a path's last part): the signed-in user's
    /// avatar or a listed channel's thumbnail, fetched by the session's
    /// client on the service's origin and by a plain one elsewhere.
    pub async fn picture(&self, key: &str) -> Result<Media> {
        let key = key.trim_start_matches('/');
        let (client, avatar) = {
            let st = self.state.lock().await;
            (
                st.client.clone(),
                st.user.as_ref().and_then(|u| u.profile_thumbnail.clone()),
            )
        };
        let client = client.ok_or(Error::NoSession)?;
        let url = avatar
            .filter(|a| a.starts_with("https://") && picture_key(a) == key)
            .or_else(|| self.pictures.url(key))
            .ok_or_else(|| {
                Error::Client(onair_client::Error::NotFound("no such picture".to_owned()))
            })?;
        let url = Url::parse(&url).map_err(|e| Error::Invalid {
            field: None,
            message: format!("the service's picture URL: {e}"),
        })?;
        Ok(client.picture(&self.pictures.http()?, &url).await?)
    }
}
