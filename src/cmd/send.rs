//! `gen send`: send the email edition of one post through the SMTP server of
//! config.yaml (`email.smtp`), one message per recipient, for test sends and
//! small lists. Every failure is one line naming the server, and exit 1.

use crate::config::{Smtp, SmtpTls};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Arguments of `gen send`.
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub root: PathBuf,
    pub slug: String,
    /// `a@b.c,Name <d@e.f>`.
    pub to: String,
    /// The language version; default: the site's default language, else the post's first.
    pub lang: Option<String>,
}

/// Run `gen send`; returns the process exit code.
pub fn run(args: &Args) -> i32 {
    let to = match crate::mail::recipients(&args.to) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("error: --to: {msg}");
            return 2;
        }
    };
    let (site, theme) = match super::email::load(&args.root) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let chosen = match super::email::select(&site, std::slice::from_ref(&args.slug), args.lang.as_deref(), false) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("error: {msg}");
            return 2;
        }
    };
    // One language version: the one asked for, else the default language's, else the first.
    let config = &site.config;
    let Some(&entry) = chosen.iter().find(|&&i| site.entries[i].post.lang == config.default_language).or(chosen.first()) else {
        eprintln!("error: no post has the slug `{}`", args.slug);
        return 2;
    };
    let Some(smtp) = &config.email.smtp else {
        eprintln!(
            "config.yaml: error: email.smtp is not set: `gen send` needs a server; add `smtp: {{host: smtp.example.com, username: …, password_env: SMTP_PASSWORD}}` under `email:`"
        );
        return 1;
    };
    let transport = match transport(smtp) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("{msg}");
            return 1;
        }
    };
    let server = format!("{}:{}", smtp.host, smtp.port());
    // Connect (and log in) before anything is sent, so that a wrong setting sends nothing.
    if let Err(e) = transport.test_connection() {
        eprintln!("error: {server}: {}; nothing was sent", describe(&e, smtp));
        return 1;
    }
    let now = SystemTime::now();
    let mut sent: Vec<String> = Vec::new();
    for rcpt in &to {
        let messages = match super::email::messages(&site, &theme, &[entry], std::slice::from_ref(rcpt), Some(now)) {
            Ok(m) => m,
            Err(errors) => {
                super::report(&errors, "send");
                return 1;
            }
        };
        let Some((_, message)) = messages.into_iter().next() else { return 1 };
        if let Err(e) = transport.send(&message) {
            let not_sent: Vec<String> = to.iter().skip(sent.len()).map(Mailbox::to_string).collect();
            let sent_part = if sent.is_empty() { "nothing was sent".to_string() } else { format!("sent to {}", sent.join(", ")) };
            eprintln!("error: {server}: sending to {rcpt} failed: {}; {sent_part}; not sent to {}", describe(&e, smtp), not_sent.join(", "));
            return 1;
        }
        println!("Sent {} ({}) to {rcpt}", site.entries[entry].post.slug, site.entries[entry].post.lang);
        sent.push(rcpt.to_string());
    }
    0
}

/// The transport `smtp` describes, with the password read from its environment variable.
fn transport(smtp: &Smtp) -> Result<SmtpTransport, String> {
    let host = smtp.host.as_str();
    let params = || TlsParameters::new(host.to_string()).map_err(|e| format!("error: {host}: cannot set up TLS: {e}"));
    let tls = match smtp.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::Starttls => Tls::Required(params()?),
        SmtpTls::Tls => Tls::Wrapper(params()?),
    };
    let mut builder = SmtpTransport::builder_dangerous(host).port(smtp.port()).tls(tls).timeout(Some(Duration::from_secs(smtp.timeout)));
    if let Some(user) = &smtp.username {
        let password = match &smtp.password_env {
            Some(var) => std::env::var(var)
                .map_err(|_| format!("error: the environment variable {var} (email.smtp.password_env) is not set; export the SMTP password in it"))?,
            None => String::new(),
        };
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

/// One line saying what went wrong, in the author's terms.
fn describe(e: &lettre::transport::smtp::Error, smtp: &Smtp) -> String {
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !chain.contains(&text) {
            chain.push_str(": ");
            chain.push_str(&text);
        }
        source = s.source();
    }
    let chain = chain.replace(['\r', '\n'], " ");
    let lower = chain.to_lowercase();
    let code = e.status().map(|c| c.to_string());
    if e.is_timeout() || lower.contains("timed out") || lower.contains("would block") || lower.contains("temporarily unavailable") {
        format!("no answer within {} s ({chain}); is email.smtp.host/port an SMTP server?", smtp.timeout)
    } else if lower.contains("refused") {
        format!("connection refused ({chain}); is the server running, and are email.smtp.host and port right?")
    } else if e.is_tls() || ["tls", "certificate", "handshake", "corrupt message", "invalidcontenttype"].iter().any(|w| lower.contains(w)) {
        let hint = match smtp.tls {
            SmtpTls::Starttls => "; if the server speaks TLS from the start (port 465), set `tls: tls`",
            SmtpTls::Tls => "; if the server upgrades a plain connection with STARTTLS (port 587), set `tls: starttls`",
            SmtpTls::None => "",
        };
        format!("TLS failed ({chain}){hint}")
    } else if matches!(code.as_deref(), Some("535" | "534" | "530")) {
        format!(
            "the server refused the login ({chain}); check email.smtp.username and the password in {}",
            smtp.password_env.as_deref().unwrap_or("the variable email.smtp.password_env names")
        )
    } else {
        chain
    }
}
