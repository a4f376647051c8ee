pub mod lmg;
