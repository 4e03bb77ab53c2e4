//! Face capture and 1:1 comparison with the ID card photo (人证核验).
//!
//! Three parts: the on-terminal quality [`gate`] (is this frame worth sending?), the comparison
//! [`compare`] client for the hall's service, and a [`simulator`] of that service for tests and demos.
//! Liveness is not done here: it needs either landmarks (which the shipped detector lacks) or an IR
//! camera pair, and most halls delegate it to the comparison service.

pub mod compare;
pub mod gate;
pub mod similarity;
pub mod simulator;

pub use compare::{FaceComparer, FaceMatch};
pub use gate::{FaceBox, FaceGate, FaceGateConfig, FaceQuality};
pub use similarity::similarity_score;
pub use simulator::{FaceSimulator, SimulatorOptions};
