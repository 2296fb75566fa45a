//! obs-websocket 5.x on the wire: the messages onair sends and reads, the
//! authentication string, and the close codes. Source: the obs-websocket
//! 5.x protocol document (`docs/generated/protocol.md` in the obs-websocket
//! repository), sections "Connecting to obs-websocket", "Creating an
//! authentication string", "Message Types (OpCodes)", "WebSocketCloseCode",
//! "RequestStatus" and "EventSubscription".

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The WebSocket subprotocol of JSON messages ("Connecting").
pub const SUBPROTOCOL: &str = "obswebsocket.json";

/// The RPC version onair speaks (obs-websocket 5.0 and later, OBS 28+).
pub const RPC_VERSION: u32 = 1;

/// OpCodes ("Message Types").
pub mod op {
    pub const HELLO: u8 = 0;
    pub const IDENTIFY: u8 = 1;
    pub const IDENTIFIED: u8 = 2;
    pub const EVENT: u8 = 5;
    pub const REQUEST: u8 = 6;
    pub const REQUEST_RESPONSE: u8 = 7;
}

/// EventSubscription::Outputs (1 << 6): StreamStateChanged and the like.
pub const SUBSCRIBE_OUTPUTS: u32 = 1 << 6;

/// WebSocketCloseCode values onair tells apart.
pub mod close {
    /// The password (authentication string) was wrong.
    pub const AUTHENTICATION_FAILED: u16 = 4009;
    /// The server does not speak the requested RPC version.
    pub const UNSUPPORTED_RPC_VERSION: u16 = 4010;
    /// The user kicked the session from OBS (do not reconnect by itself).
    pub const SESSION_INVALIDATED: u16 = 4011;
}

/// RequestStatus codes onair tells apart.
pub mod status {
    pub const SUCCESS: u16 = 100;
    /// The output (the stream) is running.
    pub const OUTPUT_RUNNING: u16 = 500;
    /// The output is not running.
    pub const OUTPUT_NOT_RUNNING: u16 = 501;
    /// A resource (a scene, an input) of that name exists already.
    pub const RESOURCE_ALREADY_EXISTS: u16 = 601;
}

/// Any message: `{op, d}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope {
    pub op: u8,
    #[serde(default)]
    pub d: Value,
}

/// Hello (OpCode 0), from the server on connect.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hello {
    #[serde(default)]
    pub obs_web_socket_version: String,
    pub rpc_version: u32,
    /// Present when the server requires a password.
    #[serde(default)]
    pub authentication: Option<Challenge>,
}

#[derive(Debug, Deserialize)]
pub struct Challenge {
    pub challenge: String,
    pub salt: String,
}

/// Identify (OpCode 1).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identify {
    pub rpc_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<String>,
    pub event_subscriptions: u32,
}

// Not derived: the authentication string is a password's stand-in.
impl std::fmt::Debug for Identify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identify")
            .field("rpc_version", &self.rpc_version)
            .field("authentication", &self.authentication.as_ref().map(|_| "…"))
            .field("event_subscriptions", &self.event_subscriptions)
            .finish()
    }
}

/// Request (OpCode 6).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request<'a> {
    pub request_type: &'a str,
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_data: Option<Value>,
}

/// RequestResponse (OpCode 7).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestResponse {
    #[serde(default)]
    pub request_type: String,
    pub request_id: String,
    pub request_status: RequestStatus,
    #[serde(default)]
    pub response_data: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct RequestStatus {
    pub result: bool,
    pub code: u16,
    #[serde(default)]
    pub comment: Option<String>,
}

/// Event (OpCode 5).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub event_type: String,
    #[serde(default)]
    pub event_data: Option<Value>,
}

/// "Creating an authentication string":
/// `base64(sha256(base64(sha256(password + salt)) + challenge))`,
/// standard base64 with padding.
pub fn auth_string(password: &str, salt: &str, challenge: &str) -> String {
    let secret = B64.encode(Sha256::digest(format!("{password}{salt}").as_bytes()));
    B64.encode(Sha256::digest(format!("{secret}{challenge}").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_string_of_fixed_values() {
        // The protocol document's own example ("Creating an authentication
        // string"), also worked out apart with Python's hashlib and base64.
        let auth = auth_string(
            "supersecretpassword",
            "lM1GncleQOaCu9lT1yeUZhFYnqhsLLP1G5lAGo3ixaI=",
            "+IxH4CnCiqpX1rM9scsNynZzbOe4KhDeYcTNS3PDaeY=",
        );
        assert_eq!(auth, "1Ct943GAT+6YQUUX47Ia/ncufilbe6+oD6lY+5kaCu4=");
        // The same inputs, the same string; another challenge, another.
        let again = auth_string("pw", "salt", "c1");
        assert_eq!(again, auth_string("pw", "salt", "c1"));
        assert_ne!(again, auth_string("pw", "salt", "c2"));
        assert_eq!(again.len(), 44, "32 bytes in padded base64");
    }

    #[test]
    fn messages_read_and_written_as_the_document_shows() {
        let hello: Envelope = serde_json::from_str(
            r#"{"op":0,"d":{"obsWebSocketVersion":"5.1.0","rpcVersion":1,
               "authentication":{"challenge":"c","salt":"s"}}}"#,
        )
        .unwrap();
        assert_eq!(hello.op, op::HELLO);
        let h: Hello = serde_json::from_value(hello.d).unwrap();
        assert_eq!(h.rpc_version, 1);
        assert_eq!(h.authentication.unwrap().salt, "s");
        let open: Hello =
            serde_json::from_str(r#"{"obsWebSocketVersion":"5.1.0","rpcVersion":1}"#).unwrap();
        assert!(open.authentication.is_none());

        let identify = Identify {
            rpc_version: RPC_VERSION,
            authentication: Some("AUTH".into()),
            event_subscriptions: SUBSCRIBE_OUTPUTS,
        };
        assert_eq!(
            serde_json::to_value(&identify).unwrap(),
            serde_json::json!({"rpcVersion": 1, "authentication": "AUTH", "eventSubscriptions": 64})
        );
        assert!(!format!("{identify:?}").contains("AUTH"));

        let resp: RequestResponse = serde_json::from_str(
            r#"{"requestType":"GetStreamStatus","requestId":"7",
               "requestStatus":{"result":true,"code":100},
               "responseData":{"outputActive":false}}"#,
        )
        .unwrap();
        assert_eq!(resp.request_status.code, status::SUCCESS);
        assert_eq!(resp.response_data.unwrap()["outputActive"], false);
    }
}
