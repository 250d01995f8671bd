//! Weight initialisers, each drawing from an explicit seeded RNG.
//!
//! The reference code uses small Gaussians, not Xavier/He: N(0, 0.01²) for convolutions,
//! N(0, 0.005²) for transposed convolutions, N(0, 0.001²) for 3-d convolutions.

use rand::Rng;
use tensor::Tensor;

use crate::error::Result;

/// How to fill a new parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    Zeros,
    Constant(f32),
    /// N(0, std²).
    Normal {
        std: f32,
    },
    /// Glorot/Xavier: U(−a, a), a = √(6/(fan_in + fan_out)).
    XavierUniform,
    /// Glorot/Xavier: N(0, 2/(fan_in + fan_out)).
    XavierNormal,
    /// He/Kaiming for ReLU: N(0, 2/fan_in).
    HeNormal,
    /// The identity plus N(0, std²): a convolution kernel `[a, b, k…]` with 1 at the centre
    /// of every odd k on the pairs of matching channels i < min(a, b) (PyTorch's
    /// `nn.init.dirac_`, here with a little noise on top). A layer so started passes its input
    /// through, and learning shapes the filter from there.
    Dirac {
        std: f32,
    },
}

impl Init {
    /// The reference code's conv init, N(0, 0.01²).
    pub const CONV: Init = Init::Normal { std: 0.01 };
    /// The reference code's conv-transpose init, N(0, 0.005²).
    pub const CONV_TRANSPOSE: Init = Init::Normal { std: 0.005 };
    /// The reference code's 3-d conv init, N(0, 0.001²).
    pub const CONV3D: Init = Init::Normal { std: 0.001 };

    /// A tensor of `shape` with fans `(fan_in, fan_out)`.
    pub fn tensor<R: Rng + ?Sized>(self, shape: &[usize], fans: (usize, usize), rng: &mut R) -> Result<Tensor> {
        let (fi, fo) = (fans.0.max(1) as f32, fans.1.max(1) as f32);
        Ok(match self {
            Init::Zeros => Tensor::zeros(shape),
            Init::Constant(c) => Tensor::full(shape, c),
            Init::Normal { std } => Tensor::randn(shape, 0.0, std, rng)?,
            Init::XavierUniform => {
                let a = (6.0 / (fi + fo)).sqrt();
                Tensor::rand_uniform(shape, -a, a, rng)?
            }
            Init::XavierNormal => Tensor::randn(shape, 0.0, (2.0 / (fi + fo)).sqrt(), rng)?,
            Init::HeNormal => Tensor::randn(shape, 0.0, (2.0 / fi).sqrt(), rng)?,
            Init::Dirac { std } => {
                let mut w = Tensor::randn(shape, 0.0, std, rng)?.to_vec();
                for i in dirac_entries(shape) {
                    w[i] += 1.0;
                }
                Tensor::from_vec(w, shape)?
            }
        })
    }
}

/// The flat indices of `[i, i, centre…]` in a kernel of `shape` = `[a, b, k…]`, i < min(a, b).
fn dirac_entries(shape: &[usize]) -> impl Iterator<Item = usize> {
    let taps: usize = shape.iter().skip(2).product();
    let centre = shape.iter().skip(2).fold(0, |at, &k| at * k + k / 2);
    let (a, b) = (shape.first().copied().unwrap_or(0), shape.get(1).copied().unwrap_or(0));
    (0..a.min(b)).map(move |i| (i * b + i) * taps + centre)
}
