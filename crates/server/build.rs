//! Embeds every file under `assets/` (served as `/assets/<name>`; `index.html` also as `/`).

use std::io::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    collect(&dir, "", &mut files);
    files.sort();
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("assets.rs");
    let mut f = std::fs::File::create(&out).expect("create assets.rs");
    writeln!(
        f,
        "/// Embedded assets: (path under `assets/`, content type, bytes)."
    )
    .unwrap();
    writeln!(f, "pub static ASSETS: &[(&str, &str, &[u8])] = &[").unwrap();
    for (name, path) in &files {
        writeln!(
            f,
            "    ({name:?}, {:?}, include_bytes!({:?})),",
            mime(name),
            path.display().to_string()
        )
        .unwrap();
    }
    writeln!(f, "];").unwrap();
}

fn collect(dir: &Path, prefix: &str, out: &mut Vec<(String, std::path::PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, &format!("{name}/"), out);
        } else {
            out.push((name, path));
        }
    }
}

fn mime(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
