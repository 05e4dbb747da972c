//! How long a socket takes by default, and the `SOCKET_SIM_DELAY_MS` override.

use std::env::{self, VarError};
use std::fmt;
use std::time::Duration;

/// The article's delay: a socket is readable 2 s after it is built.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(2);

/// The environment variable that overrides [`DEFAULT_DELAY`], in milliseconds.
pub const DELAY_ENV: &str = "SOCKET_SIM_DELAY_MS";

/// The longest delay accepted: one hour, in milliseconds.
pub const MAX_DELAY_MS: u64 = 3_600_000;

/// The delay of [`MySocket::new`](crate::MySocket::new): `SOCKET_SIM_DELAY_MS`
/// when it is set, else [`DEFAULT_DELAY`].
///
/// A value that is set but wrong is an error naming the variable and the value,
/// never a silent fall back to the default.
pub fn default_delay() -> Result<Duration, DelayError> {
    match env::var(DELAY_ENV) {
        Ok(text) => parse_delay_ms(DELAY_ENV, &text),
        Err(VarError::NotPresent) => Ok(DEFAULT_DELAY),
        Err(VarError::NotUnicode(text)) => Err(not_a_number(DELAY_ENV, &text.to_string_lossy())),
    }
}

/// Parses a delay given as a whole number of milliseconds, from 0 up to
/// [`MAX_DELAY_MS`]. `origin` names where the text came from (a variable, a
/// flag) so that the error can say so.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use socket_sim::parse_delay_ms;
///
/// assert_eq!(parse_delay_ms("--delay-ms", "250"), Ok(Duration::from_millis(250)));
/// let error = parse_delay_ms("--delay-ms", "2s").unwrap_err();
/// assert_eq!(error.to_string(), r#"--delay-ms: "2s" is not a whole number of milliseconds"#);
/// ```
pub fn parse_delay_ms(origin: &'static str, text: &str) -> Result<Duration, DelayError> {
    // Digits only: u64's parser would also take "+5", which is not what anyone means.
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(not_a_number(origin, text));
    }
    match text.parse::<u64>() {
        Ok(ms) if ms <= MAX_DELAY_MS => Ok(Duration::from_millis(ms)),
        _ => Err(DelayError(format!(
            "{origin}: {text} ms is longer than the limit of {MAX_DELAY_MS} ms (one hour)"
        ))),
    }
}

fn not_a_number(origin: &str, text: &str) -> DelayError {
    DelayError(format!(
        "{origin}: {text:?} is not a whole number of milliseconds"
    ))
}

/// A delay that is not a whole number of milliseconds up to one hour: says
/// where it came from (`SOCKET_SIM_DELAY_MS`, `--delay-ms`, ...) and what it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelayError(String);

impl fmt::Display for DelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DelayError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_whole_milliseconds_up_to_an_hour() {
        assert_eq!(parse_delay_ms("X", "0"), Ok(Duration::ZERO));
        assert_eq!(parse_delay_ms("X", "0050"), Ok(Duration::from_millis(50)));
        assert_eq!(
            parse_delay_ms("X", "3600000"),
            Ok(Duration::from_secs(3600))
        );
    }

    #[test]
    fn refuses_everything_else_naming_origin_and_value() {
        for (text, message) in [
            ("abc", r#"X: "abc" is not a whole number of milliseconds"#),
            ("", r#"X: "" is not a whole number of milliseconds"#),
            ("+5", r#"X: "+5" is not a whole number of milliseconds"#),
            ("-5", r#"X: "-5" is not a whole number of milliseconds"#),
            (" 5", r#"X: " 5" is not a whole number of milliseconds"#),
            ("1.5", r#"X: "1.5" is not a whole number of milliseconds"#),
            (
                "3600001",
                "X: 3600001 ms is longer than the limit of 3600000 ms (one hour)",
            ),
            (
                "99999999999999999999999",
                "X: 99999999999999999999999 ms is longer than the limit of 3600000 ms (one hour)",
            ),
        ] {
            assert_eq!(
                parse_delay_ms("X", text).unwrap_err().to_string(),
                message,
                "{text:?}"
            );
        }
    }
}
