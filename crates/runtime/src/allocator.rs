//! The memory allocator every odmu binary runs on.
//!
//! jemalloc rather than glibc's malloc: a short request allocates and frees a few hundred small
//! blocks, and glibc's malloc/free took about a seventh of `GET /auth/v1/me`'s CPU; with jemalloc
//! the same load runs about a fifth faster (README, "Figures", odmu_auth). Its settings keep
//! memory small on a Fargate task of a quarter or half vCPU: two arenas (not four per CPU), freed
//! pages handed back to the system after a second rather than ten.

#[doc(hidden)]
pub use tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read once at its first allocation (the prefixed build reads the symbol
/// `_rjem_malloc_conf`; `_RJEM_MALLOC_CONF` in the environment still overrides them).
pub const MALLOC_CONF: &[u8] = b"narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

/// Makes jemalloc, with [`MALLOC_CONF`], the global allocator of the binary that calls it (at
/// the root of its `main.rs`).
#[macro_export]
macro_rules! allocator {
    () => {
        #[global_allocator]
        static GLOBAL: $crate::allocator::Jemalloc = $crate::allocator::Jemalloc;

        #[unsafe(export_name = "_rjem_malloc_conf")]
        #[used]
        static JEMALLOC_CONF: ::core::option::Option<&'static u8> =
            ::core::option::Option::Some(&$crate::allocator::MALLOC_CONF[0]);
    };
}

/// A service binary's whole `main.rs`: the allocator and `main` running [`crate::main`] for `App`.
#[macro_export]
macro_rules! service_main {
    ($app:ty) => {
        $crate::allocator!();

        fn main() -> ::std::process::ExitCode {
            $crate::main::<$app>()
        }
    };
}
