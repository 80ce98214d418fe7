//! Applies a layer blob from a file, to compare with `tar -x`:
//! `cargo run --release -p container-layer --example apply -- BLOB DEST [LOWER...]`.

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(blob), Some(dest)) = (args.next(), args.next()) else {
        return Err("usage: apply BLOB DEST [LOWER...]".into());
    };
    let lowers: Vec<PathBuf> = args.collect();

    let started = Instant::now();
    if std::env::var_os("DIFF_ID_ONLY").is_some() {
        let (diff_id, size) = container_layer::diff_id_of(std::fs::File::open(&blob)?)?;
        #[allow(clippy::print_stdout, reason = "an example's output")]
        {
            println!("{diff_id} {size} {:?}", started.elapsed());
        }
        return Ok(());
    }
    let applied = container_layer::apply(std::fs::File::open(blob)?, &dest, &lowers)?;
    let elapsed = started.elapsed();
    #[allow(clippy::print_stdout, reason = "an example's output")]
    {
        println!(
            "{} {} bytes of tar, {} bytes of files",
            applied.diff_id, applied.tar_size, applied.unpacked_size
        );
        println!("{elapsed:?}");
    }
    Ok(())
}
