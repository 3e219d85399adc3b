//! S3 settings from the environment (docs/COMPATIBILITY.md, "S3 environment variables"):
//! bucket-scoped variables first, then the usual ones.
//!
//! The variables are the Python stacpkg 0.1.4's, so an environment set up for it works here:
//! `STACPKG_S3_ENDPOINT_<TOKEN>`, `STACPKG_S3_ACCESS_KEY_ID_<TOKEN>` +
//! `STACPKG_S3_SECRET_ACCESS_KEY_<TOKEN>` (both or neither), `STACPKG_S3_SESSION_TOKEN_<TOKEN>`,
//! `STACPKG_S3_REGION_<TOKEN>` / `STACPKG_S3_DEFAULT_REGION_<TOKEN>`, `STACPKG_S3_ENDPOINTS_JSON`
//! (`{"bucket": "endpoint"}`), then `AWS_ENDPOINT_URL`, `AWS_ENDPOINT`. Everything else (keys,
//! region, `AWS_SKIP_SIGNATURE` for public buckets, virtual-hosted style) comes from the
//! `object_store` builders' own `from_env`. The environment is read through a function so tests
//! can pass a map instead of mutating the process environment.

use crate::store::location::normalise_endpoint;
use crate::{Error, Result};

/// Reads one environment variable (the process environment, or a test map).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment as an [`EnvLookup`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The bucket token: runs of characters outside `[A-Za-z0-9]` become `_`, leading/trailing `_`
/// stripped, upper-cased (`stacpkg-e2e-s3store1` → `STACPKG_E2E_S3STORE1`).
pub fn bucket_token(bucket: &str) -> String {
    let mut token = String::with_capacity(bucket.len());
    let mut in_run = false;
    for c in bucket.chars() {
        if c.is_ascii_alphanumeric() {
            token.push(c.to_ascii_uppercase());
            in_run = false;
        } else if !in_run {
            token.push('_');
            in_run = true;
        }
    }
    token.trim_matches('_').to_string()
}

/// The name of a bucket-scoped variable, e.g. `STACPKG_S3_ENDPOINT_MY_BUCKET`.
pub fn bucket_var(field: &str, bucket: &str) -> String {
    format!("STACPKG_S3_{field}_{}", bucket_token(bucket))
}

/// S3 settings for one bucket, beyond what `from_env` reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    /// Normalised endpoint.
    pub endpoint: Option<String>,
    /// Bucket-scoped access key id.
    pub access_key_id: Option<String>,
    /// Bucket-scoped secret.
    pub secret_access_key: Option<String>,
    /// Bucket-scoped session token.
    pub session_token: Option<String>,
    /// Bucket-scoped region (or default region).
    pub region: Option<String>,
}

/// True for `1`, `true`, `yes`, `on` (any case).
pub fn is_truthy(value: Option<String>) -> bool {
    value.is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// The endpoint configured for `bucket` in `STACPKG_S3_ENDPOINTS_JSON`, checking the variable.
fn endpoints_json(bucket: &str, env: EnvLookup) -> Result<Option<String>> {
    let Some(text) = non_empty(env("STACPKG_S3_ENDPOINTS_JSON")) else {
        return Ok(None);
    };
    let bad = || {
        Error::input(
            "STACPKG_S3_ENDPOINTS_JSON",
            "must be a JSON object mapping bucket names to endpoint URLs, e.g. {\"my-bucket\": \"http://127.0.0.1:9000\"}",
        )
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| bad())?;
    let map = value.as_object().ok_or_else(bad)?;
    match map.get(bucket) {
        None => Ok(None),
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(Error::input(
            "STACPKG_S3_ENDPOINTS_JSON",
            format!("the endpoint for bucket '{bucket}' must be a non-empty string"),
        )),
    }
}

/// Resolves the S3 settings for `bucket`; `row_endpoint` (the lock row's) wins over the
/// environment. Errors name the variable to fix.
pub fn s3_settings(bucket: &str, row_endpoint: Option<&str>, env: EnvLookup) -> Result<S3Settings> {
    let endpoint = match row_endpoint.and_then(normalise_endpoint) {
        Some(e) => Some(e),
        None => non_empty(env(&bucket_var("ENDPOINT", bucket)))
            .or(endpoints_json(bucket, env)?)
            .or_else(|| non_empty(env("AWS_ENDPOINT_URL")))
            .or_else(|| non_empty(env("AWS_ENDPOINT")))
            .and_then(|e| normalise_endpoint(&e)),
    };
    let id_var = bucket_var("ACCESS_KEY_ID", bucket);
    let secret_var = bucket_var("SECRET_ACCESS_KEY", bucket);
    let access_key_id = non_empty(env(&id_var));
    let secret_access_key = non_empty(env(&secret_var));
    if access_key_id.is_some() != secret_access_key.is_some() {
        return Err(Error::input(
            format!("bucket '{bucket}'"),
            format!("bucket-scoped S3 credentials need both {id_var} and {secret_var}"),
        ));
    }
    Ok(S3Settings {
        endpoint,
        access_key_id,
        secret_access_key,
        session_token: non_empty(env(&bucket_var("SESSION_TOKEN", bucket))),
        region: non_empty(env(&bucket_var("REGION", bucket)))
            .or_else(|| non_empty(env(&bucket_var("DEFAULT_REGION", bucket)))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn tokens_follow_the_python_rule() {
        assert_eq!(bucket_token("stacpkg-e2e-s3store1"), "STACPKG_E2E_S3STORE1");
        assert_eq!(bucket_token("--a..b__c-"), "A_B_C");
    }

    #[test]
    fn endpoint_priority() {
        let env = lookup(&[
            ("STACPKG_S3_ENDPOINT_B1", "127.0.0.1:1"),
            (
                "STACPKG_S3_ENDPOINTS_JSON",
                r#"{"b1": "http://x:2", "b2": "http://x:3"}"#,
            ),
            ("AWS_ENDPOINT_URL", "http://fallback:4/"),
        ]);
        let s = |b, row| s3_settings(b, row, &env).unwrap().endpoint;
        assert_eq!(
            s("b1", Some("http://row:9")).as_deref(),
            Some("http://row:9")
        );
        assert_eq!(s("b1", None).as_deref(), Some("https://127.0.0.1:1"));
        assert_eq!(s("b2", None).as_deref(), Some("http://x:3"));
        assert_eq!(s("b3", None).as_deref(), Some("http://fallback:4"));
    }

    #[test]
    fn credentials_come_in_pairs() {
        let env = lookup(&[("STACPKG_S3_ACCESS_KEY_ID_B", "id")]);
        let err = s3_settings("b", None, &env).unwrap_err().to_string();
        assert!(err.contains("STACPKG_S3_SECRET_ACCESS_KEY_B"), "{err}");
        let env = lookup(&[
            ("STACPKG_S3_ACCESS_KEY_ID_B", "id"),
            ("STACPKG_S3_SECRET_ACCESS_KEY_B", "s"),
            ("STACPKG_S3_DEFAULT_REGION_B", "eu-west-1"),
        ]);
        let s = s3_settings("b", None, &env).unwrap();
        assert_eq!(s.access_key_id.as_deref(), Some("id"));
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn bad_endpoints_json_is_named() {
        for bad in ["[1]", "nope", r#"{"b": 3}"#, r#"{"b": ""}"#] {
            let env = lookup(&[("STACPKG_S3_ENDPOINTS_JSON", bad)]);
            let err = s3_settings("b", None, &env).unwrap_err().to_string();
            assert!(err.starts_with("STACPKG_S3_ENDPOINTS_JSON"), "{err}");
        }
    }
}
