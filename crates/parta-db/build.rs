// The migrations and reference books are compiled into the binary: rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=reference");
}
