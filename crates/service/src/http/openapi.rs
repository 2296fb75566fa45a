//! `/openapi.json`: an OpenAPI 3.1 document of every route, built from
//! [`super::endpoints`]; body schemas come from the wire types' `ToSchema`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{json, Value};

use super::{endpoints, Body, Fails, Security};

/// The document (built once).
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

/// `GET /openapi.json`.
pub async fn serve() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document().to_string(),
    )
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn build() -> Value {
    let mut components = Vec::new();
    components.push((
        "OAuthError".to_owned(),
        <onair_api::oauth::OAuthError as utoipa::PartialSchema>::schema(),
    ));
    <onair_api::oauth::OAuthError as utoipa::ToSchema>::schemas(&mut components);
    let mut paths: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
    for e in endpoints() {
        let params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "summary": e.summary,
            "tags": [e.tag],
            "operationId": format!("{}_{}", e.method.as_str().to_lowercase(), e.path.replace(['/', '{', '}', '.', '-'], "_")),
            "parameters": params,
        });
        if let Some(api) = e.optional_api {
            op["x-optional-api"] = json!(api.as_str());
        }
        match e.security {
            Security::User => op["security"] = json!([{"prismToken": []}, {"bearer": []}]),
            Security::Admin => op["security"] = json!([{"adminToken": []}]),
            Security::Public => {}
        }
        let (req_kind, req_schema) = e.request;
        if let Some(s) = req_schema {
            (s.collect)(&mut components);
        }
        let req_ref = req_schema.map_or(json!({}), |s| schema_ref(&(s.name)()));
        match req_kind {
            Body::Json | Body::Envelope => {
                op["requestBody"] =
                    json!({"required": true, "content": {"application/json": {"schema": req_ref}}})
            }
            Body::Form => {
                op["requestBody"] = json!({"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}})
            }
            Body::None | Body::Html | Body::Media(_) => {}
        }
        let (resp_kind, resp_schema) = e.response;
        if let Some(s) = resp_schema {
            (s.collect)(&mut components);
        }
        let data = resp_schema.map_or(json!({"type": "null"}), |s| schema_ref(&(s.name)()));
        let ok = match resp_kind {
            Body::Envelope => {
                json!({"description": "success envelope", "content": {"application/json": {"schema": {
                    "allOf": [schema_ref("EnvelopeBase"), {"type": "object", "properties": {"data": data}}]
                }}}})
            }
            Body::Json => {
                json!({"description": "JSON", "content": {"application/json": {"schema": data}}})
            }
            Body::Html => {
                json!({"description": "HTML page, or 302 to the client's redirect URI", "content": {"text/html": {}}})
            }
            Body::Media(content_type) => {
                json!({"description": content_type, "content": {content_type: {}}})
            }
            Body::None | Body::Form => json!({"description": "OK"}),
        };
        let mut responses = json!({"200": ok});
        for f in e.failures() {
            let mut answer = match f.form {
                Fails::Envelope => {
                    json!({"description": f.why, "content": {"application/json": {"schema": schema_ref("EnvelopeBase")}}})
                }
                Fails::OAuth => {
                    json!({"description": f.why, "content": {"application/json": {"schema": schema_ref("OAuthError")}}})
                }
                Fails::Page if f.status == 302 => {
                    json!({"description": f.why, "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}}})
                }
                Fails::Page => json!({"description": f.why, "content": {"text/html": {}}}),
                Fails::Bare => json!({"description": f.why}),
            };
            if matches!(f.status, 429 | 503) {
                answer["headers"] = json!({"Retry-After": {"description": "seconds to wait (RFC 9110 §10.2.3)", "schema": {"type": "integer"}}});
            }
            if f.status == 401 && f.form == Fails::Envelope {
                answer["headers"] = json!({"WWW-Authenticate": {"description": "RFC 6750 §3", "schema": {"type": "string"}}});
            }
            responses[f.status.to_string()] = answer;
        }
        op["responses"] = responses;
        paths
            .entry(e.path.to_owned())
            .or_default()
            .insert(e.method.as_str().to_lowercase(), op);
    }
    let mut schemas: BTreeMap<String, Value> = components
        .into_iter()
        .map(|(name, s)| (name, serde_json::to_value(s).unwrap_or(Value::Null)))
        .collect();
    schemas.insert(
        "EnvelopeBase".into(),
        json!({"type": "object", "required": ["success"], "properties": {
            "success": {"type": "boolean"},
            "errorCode": {"type": ["integer", "null"]},
            "errorName": {"type": ["string", "null"], "example": "NOT_FOUND"},
            "message": {"type": ["string", "null"]},
            "data": {}
        }}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "onair reference service: the PRISM service API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every call of the PRISM Live Studio service API (shared/spec/service-api.md) plus onair's additions.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "prismToken": {"type": "apiKey", "in": "header", "name": "x-prism-access-token"},
                "bearer": {"type": "http", "scheme": "bearer"},
                "adminToken": {"type": "http", "scheme": "bearer", "description": "printed at start; loopback only"},
            }
        }
    })
}
