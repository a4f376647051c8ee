pub mod kicked;
pub mod lindemann;
pub mod lmg;
pub mod spinwave;
