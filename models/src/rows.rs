//! Gathering and scattering examples (rows of the first axis) by index: the generator's
//! persistent latents live in one `[n_examples, …]` tensor, a batch uses some of them.

use tensor::Tensor;

use crate::error::Result;

/// `x[index[0]], x[index[1]], …` as one tensor (the whole of `x` when `index` is `0..n`).
pub fn gather(x: &Tensor, index: &[usize]) -> Result<Tensor> {
    if index.iter().copied().eq(0..x.shape()[0]) {
        return Ok(x.clone());
    }
    let rows: Vec<Tensor> = index.iter().map(|&i| x.get(i)).collect::<std::result::Result<_, _>>()?;
    Ok(Tensor::stack(&rows.iter().collect::<Vec<_>>(), 0)?)
}

/// `x[index[k]] = rows[k]` for every k.
pub fn scatter(x: &mut Tensor, index: &[usize], rows: &Tensor) -> Result<()> {
    if index.iter().copied().eq(0..x.shape()[0]) {
        *x = rows.clone();
        return Ok(());
    }
    let d = x.numel() / x.shape()[0].max(1);
    let (mut all, src) = (x.to_vec(), rows.to_vec());
    for (k, &i) in index.iter().enumerate() {
        all[i * d..(i + 1) * d].copy_from_slice(&src[k * d..(k + 1) * d]);
    }
    *x = Tensor::from_vec_on(all, x.shape(), &x.device())?;
    Ok(())
}
