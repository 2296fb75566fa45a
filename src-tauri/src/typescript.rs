//! Generates `ui/src/lib/ipc-types.ts`: every IPC type (ts-rs), the
//! service API's enums as string unions (from their `ALL` lists), one
//! typed function per command and one listener per event. The UI calls
//! those and never writes a command or event name.
//!
//! Why ts-rs and a generated command table, not tauri-specta: the types
//! were already ts-rs's, tauri-specta and specta are release candidates
//! (2.0.0-rc) that would replace every derive, and the commands' own
//! signatures are the table: this module reads `commands.rs` with `syn`,
//! so a command cannot change without its TypeScript changing, and a test
//! checks the handler list of `lib.rs` names every command once.

use std::fmt::Write as _;

use serde::Serialize;
use syn::{FnArg, GenericArgument, Item, PathArguments, ReturnType, Type};
use ts_rs::TS;

use crate::error::{ErrorCode, IpcError};
use crate::events::{AppChanged, ConfirmStop, WindowShown};
use crate::models::*;

const COMMANDS_RS: &str = include_str!("commands.rs");
const LIB_RS: &str = include_str!("lib.rs");
const IPC_TYPES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/lib/ipc-types.ts");

/// `export type Name = "A" | "B";` from an enum's variants, spelled as
/// serde spells them.
fn union<T: Serialize>(name: &str, all: &[T]) -> String {
    let names: Vec<String> = all
        .iter()
        .map(|v| serde_json::to_string(v).expect("an enum serialises"))
        .collect();
    format!("type {name} = {};", names.join(" | "))
}

/// One command, as its function declares it.
#[derive(Debug)]
struct Command {
    name: String,
    doc: Vec<String>,
    /// Arguments the UI passes (injected ones left out): camelCase name
    /// and TypeScript type; a channel's is `Channel<T>`.
    args: Vec<(String, Arg)>,
    returns: String,
}

#[derive(Debug)]
enum Arg {
    Value(String),
    /// `Channel<T>`: the UI passes a callback.
    Channel(String),
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) => p.path.segments.last(),
        Type::Reference(r) => last_segment(&r.elem),
        _ => None,
    }
}

fn generic(seg: &syn::PathSegment) -> Option<&Type> {
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

/// A Rust type as TypeScript: primitives, `Option`, `Vec`, and our own
/// types by name (the generated file declares each; `tsc` fails on one
/// it does not).
fn ts_type(ty: &Type) -> String {
    if let Type::Tuple(t) = ty {
        assert!(t.elems.is_empty(), "tuples do not cross IPC");
        return "void".into();
    }
    let seg = last_segment(ty).expect("a command type is a path, a reference or ()");
    let name = seg.ident.to_string();
    match name.as_str() {
        "String" | "str" => "string".into(),
        "bool" => "boolean".into(),
        "u8" | "u16" | "u32" | "u64" | "i32" | "i64" | "f64" | "usize" => "number".into(),
        "Option" => format!("{} | null", ts_type(generic(seg).expect("Option<T>"))),
        "Vec" => {
            let inner = ts_type(generic(seg).expect("Vec<T>"));
            if inner.contains(' ') {
                format!("({inner})[]")
            } else {
                format!("{inner}[]")
            }
        }
        "Result" => ts_type(generic(seg).expect("Result<T>")),
        _ => name,
    }
}

/// Arguments Tauri fills in itself.
fn injected(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "State" | "AppHandle" | "Window" | "Webview" | "WebviewWindow"
        )
    })
}

fn doc_lines(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The `#[tauri::command]` functions of `commands.rs`, in file order.
fn commands() -> Vec<Command> {
    let file = syn::parse_file(COMMANDS_RS).expect("commands.rs parses");
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Fn(f)
                if f.attrs.iter().any(|a| {
                    let p = a.path();
                    p.segments.len() == 2 && p.segments[1].ident == "command"
                }) =>
            {
                Some(f)
            }
            _ => None,
        })
        .map(|f| {
            let args = f
                .sig
                .inputs
                .iter()
                .filter_map(|a| match a {
                    FnArg::Typed(t) if !injected(&t.ty) => Some(t),
                    _ => None,
                })
                .map(|t| {
                    let syn::Pat::Ident(name) = &*t.pat else {
                        panic!("a command argument is a plain name")
                    };
                    let seg = last_segment(&t.ty).expect("an argument's type");
                    let arg = if seg.ident == "Channel" {
                        Arg::Channel(ts_type(generic(seg).expect("Channel<T>")))
                    } else {
                        Arg::Value(ts_type(&t.ty))
                    };
                    (camel(&name.ident.to_string()), arg)
                })
                .collect();
            let returns = match &f.sig.output {
                ReturnType::Default => "void".into(),
                ReturnType::Type(_, ty) => ts_type(ty),
            };
            Command {
                name: f.sig.ident.to_string(),
                doc: doc_lines(&f.attrs),
                args,
                returns,
            }
        })
        .collect()
}

fn jsdoc(out: &mut String, doc: &[String], indent: &str) {
    if doc.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}/**");
    for line in doc {
        let _ = writeln!(out, "{indent} * {line}");
    }
    let _ = writeln!(out, "{indent} */");
}

fn command_table(out: &mut String) {
    out.push_str(
        "/** One typed function per command of src-tauri/src/commands.rs; each\n \
         * rejects with an IpcError. */\nexport const commands = {\n",
    );
    for c in commands() {
        jsdoc(out, &c.doc, "  ");
        let params: Vec<String> = c
            .args
            .iter()
            .map(|(n, a)| match a {
                Arg::Value(t) => format!("{n}: {t}"),
                Arg::Channel(t) => format!("{n}: (event: {t}) => void"),
            })
            .collect();
        let body_args: Vec<String> = c
            .args
            .iter()
            .map(|(n, a)| match a {
                Arg::Value(_) => n.clone(),
                Arg::Channel(_) => format!("{n}: channel({n})"),
            })
            .collect();
        let call = if body_args.is_empty() {
            format!("invoke<{}>(\"{}\")", c.returns, c.name)
        } else {
            format!(
                "invoke<{}>(\"{}\", {{ {} }})",
                c.returns,
                c.name,
                body_args.join(", ")
            )
        };
        let _ = writeln!(
            out,
            "  {}: ({}): Promise<{}> =>\n    {call},",
            camel(&c.name),
            params.join(", "),
            c.returns
        );
    }
    out.push_str("};\n\n");
}

fn event_table(out: &mut String) {
    out.push_str(
        "/** One listener per event of src-tauri/src/events.rs; each resolves to\n \
         * what stops it. */\nexport const events = {\n",
    );
    for (name, listener, payload) in crate::events::all() {
        let _ = writeln!(
            out,
            "  {listener}: (f: (payload: {payload}) => void): Promise<UnlistenFn> =>\n    \
             listen<{payload}>(\"{name}\", (e) => f(e.payload)),"
        );
    }
    out.push_str("};\n");
}

/// The whole generated file.
pub fn typescript() -> String {
    let decls = [
        ErrorCode::decl(),
        IpcError::decl(),
        onair_desk::Field::decl(),
        ProfileView::decl(),
        UserView::decl(),
        SessionView::decl(),
        LoginFinished::decl(),
        AppView::decl(),
        ChannelView::decl(),
        StatView::decl(),
        LiveView::decl(),
        StreamView::decl(),
        IngestView::decl(),
        PublisherView::decl(),
        CreateLiveInput::decl(),
        LiveEventView::decl(),
        onair_desk::NewProfile::decl(),
        onair_desk::LookupInput::decl(),
        onair_desk::ServiceLookup::decl(),
        onair_desk::Sample::decl(),
        onair_desk::Settings::decl(),
        onair_desk::ObsPrefs::decl(),
        onair_desk::Language::decl(),
        StreamSessionView::decl(),
        SessionEventView::decl(),
        ChatMessageView::decl(),
        ChatEventView::decl(),
        onair_desk::ModAction::decl(),
        ModRecordView::decl(),
        UiStats::decl(),
        onair_desk::ObsState::decl(),
        ObsView::decl(),
        "type ObsView = ObsReport<IpcError>;".to_string(),
        AppChanged::decl(),
        ConfirmStop::decl(),
        WindowShown::decl(),
        union("LiveStatus", &onair_api::LiveStatus::ALL),
        union("StatusFilter", &onair_api::StatusFilter::ALL),
        union("Scope", &onair_api::Scope::ALL),
        union("SessionStatus", &onair_api::SessionStatus::ALL),
        union("EndReason", &onair_api::EndReason::ALL),
        union("EventKind", &onair_api::EventKind::ALL),
        union("OptionalApi", &onair_api::OptionalApi::ALL),
        union("TokenForm", &onair_client::TokenForm::ALL),
        union("Signal", &onair_api::Signal::ALL),
        union("Verdict", &onair_api::Verdict::ALL),
        union("Extension", &onair_api::Extension::ALL),
    ];
    let mut out = String::from(
        "// Generated from src-tauri (models, commands, events) by `cargo test -p onair`\n\
         // with UPDATE_IPC_TYPES=1. Do not edit: a test fails when this file is stale.\n\n\
         import { Channel, invoke } from \"@tauri-apps/api/core\";\n\
         import { listen, type UnlistenFn } from \"@tauri-apps/api/event\";\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.push_str(
        "/** A channel whose messages go to `f`. */\n\
         function channel<T>(f: (event: T) => void): Channel<T> {\n  \
         const ch = new Channel<T>();\n  ch.onmessage = f;\n  return ch;\n}\n\n",
    );
    command_table(&mut out);
    event_table(&mut out);
    out
}

#[test]
fn ipc_types_are_fresh() {
    let want = typescript();
    if std::env::var_os("UPDATE_IPC_TYPES").is_some() {
        std::fs::write(IPC_TYPES, &want).unwrap();
    }
    let have = std::fs::read_to_string(IPC_TYPES).unwrap_or_default();
    assert!(
        have == want,
        "ui/src/lib/ipc-types.ts is stale: run `UPDATE_IPC_TYPES=1 cargo test -p onair ipc_types`"
    );
}

#[test]
fn the_handler_names_every_command_once() {
    let start = LIB_RS
        .find("generate_handler![")
        .expect("lib.rs registers its commands");
    let list = &LIB_RS[start..LIB_RS[start..].find(']').map(|e| start + e).unwrap()];
    let mut registered: Vec<&str> = list
        .split("commands::")
        .skip(1)
        .map(|s| {
            s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap()
        })
        .collect();
    let mut defined: Vec<String> = commands().into_iter().map(|c| c.name).collect();
    registered.sort_unstable();
    defined.sort_unstable();
    assert_eq!(registered, defined);
}

#[test]
fn rust_types_read_as_typescript() {
    let ty = |s: &str| ts_type(&syn::parse_str::<Type>(s).unwrap());
    assert_eq!(ty("Result<Vec<LiveView>>"), "LiveView[]");
    assert_eq!(ty("Option<String>"), "string | null");
    assert_eq!(ty("Vec<Option<u32>>"), "(number | null)[]");
    assert_eq!(ty("()"), "void");
    assert_eq!(ty("&str"), "string");
    assert_eq!(camel("on_event"), "onEvent");
}
