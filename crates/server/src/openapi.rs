//! The hand-written OpenAPI 3 document served at `/openapi.json`.

use serde_json::{json, Value};

fn ok(schema: &str, description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn errors(codes: &[&str]) -> serde_json::Map<String, Value> {
    codes
        .iter()
        .map(|c| {
            (
                c.to_string(),
                json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
            )
        })
        .collect()
}

fn responses(schema: &str, description: &str, codes: &[&str]) -> Value {
    let mut m = errors(codes);
    m.insert("200".into(), ok(schema, description));
    Value::Object(m)
}

fn path_param(name: &str, kind: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": kind}})
}

fn query_param(name: &str, kind: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": {"type": kind}, "description": description})
}

fn list_params() -> Value {
    json!([
        query_param("limit", "integer", "page size (default 50, at most 1000)"),
        query_param("offset", "integer", "entries to skip"),
        query_param(
            "since",
            "string",
            "RFC 3339 or YYYY-MM-DD: clusters ending at or after"
        ),
        query_param(
            "until",
            "string",
            "RFC 3339 or YYYY-MM-DD: clusters starting at or before"
        ),
        query_param(
            "entity",
            "string",
            "case-insensitive substring of a member's entity name"
        ),
    ])
}

/// The OpenAPI document.
pub fn document() -> Value {
    let date = json!({"type": ["string", "null"], "format": "date-time"});
    let nstr = json!({"type": ["string", "null"]});
    let mut post_responses = responses(
        "IngestResults",
        "one result per input article",
        &["400", "401", "403", "413", "415"],
    );
    post_responses["409"] = ok("Conflict", "an id stored with another text");
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Storyline API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "News articles → duplicates, events and storylines. Writes need `Authorization: Bearer <token>` when the server has a token; reads too with --read-token-required. Errors are {\"error\": \"...\"}."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "ArticleIn": {"type": "object", "required": ["id"], "description": "JSON Lines ingest fields; `text` or `html` is required.", "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"}, "text": {"type": "string"}, "html": {"type": "string"},
                    "url": {"type": "string"}, "date": {"type": "string"}, "lang": {"type": "string"}}},
                "ArticlesIn": {"oneOf": [
                    {"$ref": "#/components/schemas/ArticleIn"},
                    {"type": "object", "required": ["articles"], "properties": {"articles": {"type": "array", "items": {"$ref": "#/components/schemas/ArticleIn"}}}}
                ]},
                "Conflict": {"type": "object", "required": ["error", "stored"], "description": "409: the id is stored with another title or text (POST never overwrites; PUT replaces).", "properties": {"error": {"type": "string"}, "stored": {"$ref": "#/components/schemas/Article"}}},
                "PutResult": {"type": "object", "properties": {"result": {"type": "object", "properties": {
                    "id": {"type": "string"}, "duplicate_of": nstr, "event_id": {"type": "integer"}, "storyline_id": {"type": "integer"}}}}},
                "Deleted": {"type": "object", "properties": {"id": {"type": "string"}, "deleted": {"type": "boolean"}}},
                "IngestResults": {"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "duplicate_of": nstr, "event_id": {"type": "integer"}, "storyline_id": {"type": "integer"}}}}}},
                "Article": {"type": "object", "properties": {
                    "id": {"type": "string"}, "title": nstr, "text": {"type": "string"}, "url": nstr, "date": date, "lang": nstr,
                    "event_id": {"type": "integer"}, "storyline_id": {"type": "integer"}, "duplicate_of": nstr,
                    "entities": {"type": "array", "items": {"type": "string"}}}},
                "ArticleRef": {"type": "object", "properties": {"id": {"type": "string"}, "title": nstr, "date": date, "event_id": {"type": "integer"}}},
                "Related": {"type": "object", "properties": {"id": {"type": "string"},
                    "duplicates": {"type": "array", "items": {"$ref": "#/components/schemas/ArticleRef"}},
                    "same_event": {"type": "array", "items": {"$ref": "#/components/schemas/ArticleRef"}},
                    "same_storyline": {"type": "array", "items": {"$ref": "#/components/schemas/ArticleRef"}}}},
                "CompareIn": {"oneOf": [
                    {"type": "object", "required": ["a", "b"], "properties": {"a": {"$ref": "#/components/schemas/ArticleIn"}, "b": {"$ref": "#/components/schemas/ArticleIn"}}},
                    {"type": "object", "required": ["a_id", "b_id"], "properties": {"a_id": {"type": "string"}, "b_id": {"type": "string"}}}
                ]},
                "Comparison": {"type": "object", "description": "As `storyline compare --json`.", "properties": {
                    "a": {"type": "object"}, "b": {"type": "object"},
                    "relation": {"type": "string", "enum": ["duplicate", "same_event", "same_storyline", "unrelated"]},
                    "score": {"type": "number"}, "reasons": {"type": "object"}}},
                "EventSummary": {"type": "object", "properties": {"id": {"type": "integer"}, "storyline_id": {"type": "integer"},
                    "label": {"type": "string"}, "start": date, "end": date, "size": {"type": "integer"}}},
                "EventList": {"type": "object", "properties": {"total": {"type": "integer"}, "events": {"type": "array", "items": {"$ref": "#/components/schemas/EventSummary"}}}},
                "Event": {"type": "object", "properties": {"id": {"type": "integer"}, "merged_from": {"type": "integer", "description": "the id asked for, when that event has since merged into this one"}, "storyline_id": {"type": "integer"},
                    "label": {"type": "string"}, "start": date, "end": date, "size": {"type": "integer"}, "representative": {"type": "string"},
                    "articles": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "title": nstr, "date": date, "url": nstr, "duplicate_of": nstr}}}}},
                "StorylineSummary": {"type": "object", "properties": {"id": {"type": "integer"}, "label": {"type": "string"},
                    "start": date, "end": date, "size": {"type": "integer"}, "events": {"type": "integer"}}},
                "StorylineList": {"type": "object", "properties": {"total": {"type": "integer"}, "storylines": {"type": "array", "items": {"$ref": "#/components/schemas/StorylineSummary"}}}},
                "Storyline": {"type": "object", "properties": {"id": {"type": "integer"}, "merged_from": {"type": "integer", "description": "the id asked for, when the storyline it named has since merged into this one (any event id resolves to its storyline)"}, "label": {"type": "string"}, "start": date, "end": date, "size": {"type": "integer"},
                    "events": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "label": {"type": "string"}, "start": date, "end": date, "size": {"type": "integer"},
                        "articles": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "title": nstr, "date": date, "url": nstr}}}}}}}},
                "Search": {"type": "object", "properties": {
                    "articles": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "title": nstr, "date": date, "event_id": {"type": "integer"}, "storyline_id": {"type": "integer"}}}},
                    "storylines": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "label": {"type": "string"}, "size": {"type": "integer"}}}}}},
                "Health": {"type": "object", "properties": {"status": {"type": "string"}, "articles": {"type": "integer"}}}
            }
        },
        "paths": {
            "/": {"get": {"summary": "The web page", "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}},
            "/assets/{path}": {"get": {"summary": "Static assets of the web page", "parameters": [path_param("path", "string")],
                "responses": {"200": {"description": "file"}, "404": {"description": "no such asset"}}}},
            "/healthz": {"get": {"summary": "Liveness and article count", "responses": {"200": ok("Health", "ok")}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text exposition", "content": {"text/plain": {}}}}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {}}}}}},
            "/v1/articles": {"post": {
                "summary": "Ingest one article or {\"articles\": [...]}; all or nothing; durable (fsync'd) before the answer. Ids already stored with the same title and text return their stored assignment; with another, 409 with the stored version (use PUT to replace).",
                "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ArticlesIn"}}}},
                "responses": post_responses}},
            "/v1/articles/{id}": {
                "get": {"summary": "A stored article", "parameters": [path_param("id", "string")],
                    "responses": responses("Article", "the article", &["401", "403", "404"])},
                "put": {"summary": "Replace the article (or store it when absent): the old version leaves its duplicate group, event and storyline, the new one is placed afresh; durable before the answer. The body's `id`, when given, must be the path's.",
                    "security": [{"bearer": []}], "parameters": [path_param("id", "string")],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ArticleIn"}}}},
                    "responses": responses("PutResult", "where the new version went", &["400", "401", "403", "413", "415"])},
                "delete": {"summary": "Remove the article everywhere (duplicate group — its copies get a new canonical —, event, storyline, search, export); durable before the answer",
                    "security": [{"bearer": []}], "parameters": [path_param("id", "string")],
                    "responses": responses("Deleted", "removed", &["401", "403", "404"])}},
            "/v1/articles/{id}/related": {"get": {"summary": "Duplicates, same event, same storyline (at most 50 each)", "parameters": [path_param("id", "string")],
                "responses": responses("Related", "related articles", &["401", "403", "404"])}},
            "/v1/compare": {"post": {"summary": "Relation of two articles (given, or stored by id)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CompareIn"}}}},
                "responses": responses("Comparison", "the comparison", &["400", "401", "403", "404", "413", "415"])}},
            "/v1/events": {"get": {"summary": "Events, latest first", "parameters": list_params(),
                "responses": responses("EventList", "a page of events", &["400", "401", "403"])}},
            "/v1/events/{id}": {"get": {"summary": "An event with its articles in time order (an id of an event that merged into another resolves to it)", "parameters": [path_param("id", "integer")],
                "responses": responses("Event", "the event", &["401", "403", "404"])}},
            "/v1/storylines": {"get": {"summary": "Storylines, largest first, then latest", "parameters": list_params(),
                "responses": responses("StorylineList", "a page of storylines", &["400", "401", "403"])}},
            "/v1/storylines/{id}": {"get": {"summary": "A storyline with its events in time order", "parameters": [path_param("id", "integer")],
                "responses": responses("Storyline", "the storyline", &["401", "403", "404"])}},
            "/v1/search": {"get": {"summary": "Case-insensitive search over titles and entity names",
                "parameters": [query_param("q", "string", "search text"), query_param("limit", "integer", "hits per list (default 50)")],
                "responses": responses("Search", "matching articles and storylines", &["400", "401", "403"])}}
        }
    })
}
