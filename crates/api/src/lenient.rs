//! Lenient deserialisers: accept what real services send, keep one form.
//!
//! Spec §1: ids are strings on the wire, but "some services send numbers: a
//! client accepts both"; dates are ISO 8601 with an offset. Services built
//! for PRISM also send counts as numeric strings and flags as `"Y"`/`"N"` or
//! `0`/`1`. Everything here accepts those and serialises the canonical form.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An id of a user, channel, live, chat message, session or event.
///
/// Deserialises from a JSON string or number; always serialises as a string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct Id(String);

impl Id {
    /// An id from its string form.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Id {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Id {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id as a string or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Id, E> {
                Ok(Id(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
                // 1.0e15 style ids from JavaScript services: only whole numbers.
                if v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 {
                    Ok(Id(format!("{}", v as i64)))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A point in time with its UTC offset (spec §1: "ISO 8601 with offset").
///
/// Accepts RFC 3339 (`2026-11-21T17:11:44+09:00`, `...Z`, fractional
/// seconds), the offset without a colon (`+0900`), a space instead of `T`,
/// a date-time with no offset (read as UTC), and epoch seconds or
/// milliseconds as a number. Serialises RFC 3339 with whole seconds.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(value_type = String, format = DateTime, example = "2026-11-21T17:11:44+09:00")
)]
pub struct Timestamp(DateTime<FixedOffset>);

impl Timestamp {
    /// The current time in UTC.
    pub fn now() -> Self {
        Self::from_utc(Utc::now())
    }

    /// Wraps a UTC time.
    pub fn from_utc(t: DateTime<Utc>) -> Self {
        Self(t.fixed_offset())
    }

    /// Milliseconds since the Unix epoch.
    pub fn from_millis(ms: i64) -> Option<Self> {
        Utc.timestamp_millis_opt(ms).single().map(Self::from_utc)
    }

    /// Milliseconds since the Unix epoch.
    pub fn millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    /// The time with its original offset.
    pub fn get(&self) -> DateTime<FixedOffset> {
        self.0
    }

    /// The same instant in UTC.
    pub fn utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }

    /// Parses any of the accepted spellings.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(Self(t));
        }
        let t_form = s.replacen(' ', "T", 1);
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
            if let Ok(t) = DateTime::parse_from_str(&t_form, fmt) {
                return Some(Self(t));
            }
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(&t_form) {
            return Some(Self(t));
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(&t_form, fmt) {
                return Some(Self::from_utc(t.and_utc()));
            }
        }
        None
    }

    fn from_epoch_number(v: i64) -> Option<Self> {
        // Numbers below 10^11 are seconds (until the year 5138), above are ms.
        if v.abs() < 100_000_000_000 {
            Utc.timestamp_opt(v, 0).single().map(Self::from_utc)
        } else {
            Self::from_millis(v)
        }
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Self::from_utc(t)
    }
}

impl From<DateTime<FixedOffset>> for Timestamp {
    fn from(t: DateTime<FixedOffset>) -> Self {
        Self(t)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, false))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 8601 date-time or epoch seconds/milliseconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                if let Ok(n) = v.trim().parse::<i64>() {
                    return Timestamp::from_epoch_number(n)
                        .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self));
                }
                Timestamp::parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Timestamp::from_epoch_number(v)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(Timestamp::from_epoch_number)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// A number that may come as a JSON number or a numeric string.
fn number_from<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer, as a number or a string")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(i64::try_from(v).unwrap_or(i64::MAX)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v.is_finite() && v.fract() == 0.0 {
                Ok(Some(v as i64))
            } else {
                Err(E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<i64>()
                .map(Some)
                .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_any(V)
}

/// `#[serde(deserialize_with)]` for a count: number or numeric string, null
/// or absent is 0, negative is 0.
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(number_from(d)?.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// `#[serde(deserialize_with)]` for an optional count.
pub fn opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(number_from(d)?.map(|n| u64::try_from(n).unwrap_or(0)))
}

/// `#[serde(deserialize_with)]` for a signed integer given as number or string.
pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    number_from(d)
}

/// `#[serde(deserialize_with)]` for a flag: `true`/`false`, `"true"`,
/// `"Y"`/`"N"`, `1`/`0`; null or absent is false.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean, Y/N, or 0/1")
        }
        fn visit_none<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v.trim().to_ascii_lowercase().as_str() {
                "true" | "y" | "yes" | "1" => Ok(true),
                "false" | "n" | "no" | "0" | "" => Ok(false),
                _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
    }
    d.deserialize_any(V)
}

/// `#[serde(deserialize_with)]` for an optional string where some services
/// send `""` for "none": empty becomes `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<String>::deserialize(d)?;
    Ok(v.filter(|s| !s.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_from_string_and_number_serialises_as_string() {
        let ids: Vec<Id> = serde_json::from_str(r#"["abc", 42, 12345678901234, 7.0]"#).unwrap();
        assert_eq!(
            ids,
            vec![
                Id::from("abc"),
                Id::from("42"),
                Id::from("12345678901234"),
                Id::from("7")
            ]
        );
        assert_eq!(serde_json::to_string(&ids[1]).unwrap(), "\"42\"");
        assert!(serde_json::from_str::<Id>("1.5").is_err());
        assert!(serde_json::from_str::<Id>("true").is_err());
    }

    #[test]
    fn timestamps_in_every_spelling() {
        let want = Timestamp::parse("2026-11-21T08:11:44Z").unwrap();
        for s in [
            r#""2026-11-21T17:11:44+09:00""#,
            r#""2026-11-21T17:11:44.000+09:00""#,
            r#""2026-11-21T17:11:44+0900""#,
            r#""2026-11-21 17:11:44+09:00""#,
            r#""2026-11-21T08:11:44Z""#,
            r#""2026-11-21T08:11:44""#,
            "1795248704",
            "1795248704000",
            r#""1795248704000""#,
        ] {
            let t: Timestamp = serde_json::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(t.utc(), want.utc(), "{s}");
        }
        let kst: Timestamp = serde_json::from_str(r#""2026-11-21T17:11:44+09:00""#).unwrap();
        assert_eq!(
            serde_json::to_string(&kst).unwrap(),
            r#""2026-11-21T17:11:44+09:00""#
        );
        assert!(serde_json::from_str::<Timestamp>(r#""yesterday""#).is_err());
    }
}
