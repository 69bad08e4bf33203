use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Errors of the HTTP service. [`IntoResponse`] maps each to its status and the JSON body
/// `{"error": "..."}` — the one place where errors become HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed request: invalid JSON, wrong types, invalid UTF-8, bad query (400).
    #[error("{0}")]
    BadRequest(String),
    /// No bearer token where one is required (401).
    #[error("missing bearer token (send `Authorization: Bearer <token>`)")]
    Unauthorized,
    /// A bearer token that is not the configured one (403).
    #[error("invalid token")]
    Forbidden,
    /// No such article, event, storyline or route (404).
    #[error("{0}")]
    NotFound(String),
    /// Body over the limit (413).
    #[error("request body is over the limit of {0} bytes")]
    TooLarge(usize),
    /// Wrong `Content-Type` (415).
    #[error("unsupported content type {0:?}: send application/json")]
    UnsupportedMediaType(String),
    /// A failure of the engine; bad records are the client's (400), the rest are ours (500).
    #[error(transparent)]
    Engine(#[from] storyline_engine::Error),
    /// Binding or serving failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// Anything else on our side (500).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Engine(storyline_engine::Error::BadRecord { .. }) => StatusCode::BAD_REQUEST,
            Error::Engine(storyline_engine::Error::Conflict { .. }) => StatusCode::CONFLICT,
            Error::Engine(_) | Error::Io(_) | Error::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            eprintln!("error: {self}");
        }
        let mut body = serde_json::json!({"error": self.to_string()});
        if let Error::Engine(storyline_engine::Error::Conflict { stored, .. }) = &self {
            body["stored"] = serde_json::to_value(stored).unwrap_or_default();
        }
        let mut resp = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"storyline\""),
            );
        }
        resp
    }
}
