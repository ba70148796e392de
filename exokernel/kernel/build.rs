//! Links the kernel with the image layout shared by both boot paths (`boot/kernel.ld`).

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = std::path::Path::new(&manifest).join("../../boot/kernel.ld");
    let script = script.canonicalize().expect("boot/kernel.ld exists");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg=-T{}", script.display());
    }
    println!("cargo:rerun-if-changed={}", script.display());
}
