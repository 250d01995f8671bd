//! Write a checkpoint of a small Conv2d + BatchNorm + Linear net, for the PyTorch interop
//! check (`python3 nn/tests/interop.py DIR`): `cargo run -p coopnets-nn --example export_checkpoint -- DIR`.

use nn::layers::*;
use nn::{Init, Module};
use tensor::rng_from_seed;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: export_checkpoint DIR")?;
    let mut rng = rng_from_seed(7);
    let net = Sequential::new()
        .push(Conv2d::new(3, 8, &[5, 3], ConvOptions::new(1, 1), &mut rng)?)
        .push(BatchNorm::new(8))
        .push(ReLU)
        .push(ConvTranspose2d::new(8, 4, &[4], ConvOptions::transposed(2, (1, 1)), &mut rng)?)
        .push(Flatten)
        .push(Linear::new(16, 10, true, Init::XavierUniform, &mut rng)?);
    let path = std::path::Path::new(&dir).join("model.safetensors");
    nn::checkpoint::save(&path, &net, &[], &Default::default(), &serde_json::json!({"step": 0}))?;
    // what Python must find: name → (shape, every value in row-major order: a transposed
    // layout with the right shape fails)
    let expect: serde_json::Map<String, serde_json::Value> = net
        .named_parameters()
        .into_iter()
        .map(|(n, p)| (n, serde_json::json!({"shape": p.shape(), "values": p.value.to_vec()})))
        .collect();
    std::fs::write(std::path::Path::new(&dir).join("expected.json"), serde_json::to_vec_pretty(&expect)?)?;
    println!("wrote {}", path.display());
    Ok(())
}
