//! Multifrontal LU of a real sparse matrix on a nested-dissection tree.
//!
//! # Method
//!
//! Given `A` (n × n, CSC) and an elimination tree ([`NdTree`]) whose
//! separators separate the graph of `A + Aᵀ` (for the LMG system: points of
//! the `((k + l)/2, |k − l|/2)` lattice, couplings at Chebyshev distance ≤ 1,
//! so separators one lattice line wide), node `s` owns the fully summed
//! unknowns `F_s` and its front is indexed by `F_s ∪ B_s`, where `B_s` are
//! the ancestors' unknowns coupled to the subtree of `s`. The front matrix is
//! assembled from the entries `A_ij` whose earlier-eliminated index belongs
//! to `F_s` and from the children's Schur complements (extend-add), then
//! partially factorized with dense kernels:
//!
//! ```text
//! P F11 = L11 U11,  U12 = L11⁻¹ P F12,  L21 = F21 U11⁻¹,  S = F22 − L21 U12,
//! ```
//!
//! row pivoting restricted to `F_s` (threshold-free partial pivoting inside
//! the front; no delayed pivots). `S` goes to the parent. A pivot below
//! `1e-13 ‖A‖_max` (or a non-finite one) is a numerical failure reported as
//! an error, never a number; accuracy is then restored by iterative
//! refinement on `A` in the caller. The factors hold `Σ f² + 2fb` entries and
//! cost `Σ 2f³/3 + 2f²b + 2fb²` flops (f = |F_s|, b = |B_s|), against the
//! `O(n log n)` / `O(n^{3/2})` of nested dissection on a 2D grid (George 1973).
//! Dense kernels: faer (`Par::Seq`, bit-identical for any thread count).

use crate::ordering::NdTree;
use crate::LindbladError;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::factor::{lu_in_place, lu_in_place_scratch};
use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_unit_lower_triangular_in_place,
    solve_upper_triangular_in_place,
};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, Par};

struct Node {
    start: usize,
    end: usize,
    /// Boundary unknowns (new indices, increasing).
    boundary: Vec<usize>,
    children: Vec<usize>,
    /// Position in this front of each child's boundary entry.
    child_maps: Vec<Vec<u32>>,
    /// Assembly: (position in A's values, local row, local column).
    asm: Vec<(u32, u32, u32)>,
    lu: Mat<f64>,
    u12: Mat<f64>,
    l21: Mat<f64>,
    piv: Vec<usize>,
}

/// Symbolic + numeric multifrontal LU (see the module docs).
pub(crate) struct Multifrontal {
    n: usize,
    /// `perm[new] = old`.
    perm: Vec<usize>,
    nodes: Vec<Node>,
    /// Stored factor entries and flops of one factorization.
    pub(crate) nnz_lu: u64,
    pub(crate) flops: f64,
    work: Vec<f64>,
    front: Vec<f64>,
    stack: Vec<f64>,
    piv_inv: Vec<usize>,
    lu_mem: MemBuffer,
}

impl Multifrontal {
    /// Symbolic analysis of the pattern `col_ptr`, `row_idx` for `tree`.
    pub(crate) fn new(
        n: usize,
        col_ptr: &[usize],
        row_idx: &[usize],
        tree: NdTree,
    ) -> Result<Self, LindbladError> {
        let NdTree {
            order: perm,
            nodes: tnodes,
        } = tree;
        if perm.len() != n {
            return Err(LindbladError::InvalidInput(
                "elimination tree does not cover the unknowns".into(),
            ));
        }
        let mut iperm = vec![usize::MAX; n];
        for (k, &o) in perm.iter().enumerate() {
            if o >= n || iperm[o] != usize::MAX {
                return Err(LindbladError::InvalidInput(
                    "elimination tree order is not a permutation".into(),
                ));
            }
            iperm[o] = k;
        }
        let mut owner = vec![0usize; n];
        for (s, &(a, b, _)) in tnodes.iter().enumerate() {
            for o in &mut owner[a..b] {
                *o = s;
            }
        }
        // adjacency of A + Aᵀ in new indices: for each new index, its
        // neighbours with a larger new index (enough to build boundaries)
        let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n];
        for c in 0..n {
            let pc = iperm[c];
            for &r in &row_idx[col_ptr[c]..col_ptr[c + 1]] {
                let pr = iperm[r];
                if pr > pc {
                    adj[pc].push(pr as u32);
                } else if pc > pr {
                    adj[pr].push(pc as u32);
                }
            }
        }
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); tnodes.len()];
        for (s, &(_, _, p)) in tnodes.iter().enumerate() {
            if let Some(p) = p {
                if p <= s {
                    return Err(LindbladError::InvalidInput(
                        "elimination tree is not in postorder".into(),
                    ));
                }
                children[p].push(s);
            }
        }
        let mut mark = vec![usize::MAX; n];
        let mut nodes: Vec<Node> = Vec::with_capacity(tnodes.len());
        let mut nnz_lu = 0u64;
        let mut flops = 0.0f64;
        for (s, &(start, end, _)) in tnodes.iter().enumerate() {
            let mut bnd = Vec::new();
            mark[start..end].fill(s);
            for nbrs in &adj[start..end] {
                for &w in nbrs {
                    let w = w as usize;
                    if w >= end && mark[w] != s {
                        mark[w] = s;
                        bnd.push(w);
                    }
                }
            }
            for &c in &children[s] {
                for &w in &nodes[c].boundary {
                    if w >= end && mark[w] != s {
                        mark[w] = s;
                        bnd.push(w);
                    }
                }
            }
            bnd.sort_unstable();
            // a child's boundary must lie in this front
            let f = end - start;
            let local = |w: usize| -> Option<u32> {
                if (start..end).contains(&w) {
                    Some((w - start) as u32)
                } else {
                    bnd.binary_search(&w).ok().map(|p| (f + p) as u32)
                }
            };
            let mut child_maps = Vec::with_capacity(children[s].len());
            for &c in &children[s] {
                let map: Option<Vec<u32>> = nodes[c].boundary.iter().map(|&w| local(w)).collect();
                child_maps.push(map.ok_or_else(|| {
                    LindbladError::InvalidInput(
                        "nested dissection does not separate the matrix graph".into(),
                    )
                })?);
            }
            let (fb, bb) = (f as f64, bnd.len() as f64);
            nnz_lu += (f * f + 2 * f * bnd.len()) as u64;
            flops += 2.0 * fb * fb * fb / 3.0 + 2.0 * fb * fb * bb + 2.0 * fb * bb * bb;
            nodes.push(Node {
                start,
                end,
                boundary: bnd,
                children: children[s].clone(),
                child_maps,
                asm: Vec::new(),
                lu: Mat::new(),
                u12: Mat::new(),
                l21: Mat::new(),
                piv: Vec::new(),
            });
        }
        drop(adj);
        drop(mark);
        // assembly lists: entry (r, c) goes to the owner of min(new r, new c)
        for c in 0..n {
            let pc = iperm[c];
            for idx in col_ptr[c]..col_ptr[c + 1] {
                let pr = iperm[row_idx[idx]];
                let s = owner[pr.min(pc)];
                let node = &nodes[s];
                let f = node.end - node.start;
                let loc = |w: usize| -> Option<u32> {
                    if (node.start..node.end).contains(&w) {
                        Some((w - node.start) as u32)
                    } else {
                        node.boundary.binary_search(&w).ok().map(|p| (f + p) as u32)
                    }
                };
                let (Some(lr), Some(lc)) = (loc(pr), loc(pc)) else {
                    return Err(LindbladError::InvalidInput(
                        "nested dissection does not separate the matrix graph".into(),
                    ));
                };
                nodes[s].asm.push((idx as u32, lr, lc));
            }
        }
        let fmax = nodes.iter().map(|nd| nd.end - nd.start).max().unwrap_or(0);
        let lu_mem = MemBuffer::try_new(lu_in_place_scratch::<usize, f64>(
            fmax,
            fmax,
            Par::Seq,
            Default::default(),
        ))
        .map_err(|_| LindbladError::OutOfMemory)?;
        Ok(Self {
            n,
            perm,
            nodes,
            nnz_lu,
            flops,
            work: vec![0.0; n],
            front: Vec::new(),
            stack: Vec::new(),
            piv_inv: Vec::new(),
            lu_mem,
        })
    }

    /// Numeric factorization of `values` (aligned with the pattern).
    pub(crate) fn factorize(&mut self, values: &[f64]) -> Result<(), LindbladError> {
        let amax = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let tiny = 1e-13 * amax;
        // Contribution blocks live on a stack (postorder: the children of a
        // node are the topmost blocks when it is assembled); the front and
        // the blocks reuse their buffers across factorizations.
        let mut records: Vec<(usize, usize)> = Vec::new(); // (node, offset)
        self.stack.clear();
        let mut piv_inv = std::mem::take(&mut self.piv_inv);
        for s in 0..self.nodes.len() {
            let (f, b) = {
                let nd = &self.nodes[s];
                (nd.end - nd.start, nd.boundary.len())
            };
            let m = f + b;
            if self.front.len() < m * m {
                self.front.resize(m * m, 0.0);
            }
            let buf = &mut self.front[..m * m];
            buf.fill(0.0);
            let mut front = MatMut::from_column_major_slice_mut(buf, m, m);
            for &(pos, r, c) in &self.nodes[s].asm {
                front[(r as usize, c as usize)] += values[pos as usize];
            }
            let nkids = self.nodes[s].children.len();
            let mut lowest = self.stack.len();
            for _ in 0..nkids {
                let Some(&(c, off)) = records.last() else {
                    break;
                };
                let Some(ci) = self.nodes[s].children.iter().position(|&k| k == c) else {
                    break;
                };
                records.pop();
                let map = &self.nodes[s].child_maps[ci];
                let bc = map.len();
                let block = &self.stack[off..off + bc * bc];
                for (j, &mj) in map.iter().enumerate() {
                    let col = &block[j * bc..(j + 1) * bc];
                    let mut dst = front.rb_mut().col_mut(mj as usize);
                    for (i, &mi) in map.iter().enumerate() {
                        dst[mi as usize] += col[i];
                    }
                }
                lowest = lowest.min(off);
            }
            self.stack.truncate(lowest);
            if records
                .iter()
                .any(|&(c, _)| self.nodes[s].children.contains(&c))
            {
                self.piv_inv = piv_inv;
                return Err(LindbladError::Numerical(
                    "multifrontal contribution stack out of order".into(),
                ));
            }
            let nd = &mut self.nodes[s];
            nd.piv.resize(f, 0);
            piv_inv.resize(f.max(piv_inv.len()), 0);
            {
                let (f11, _f12, _f21, _f22) = front.rb_mut().split_at_mut(f, f);
                lu_in_place(
                    f11,
                    &mut nd.piv,
                    &mut piv_inv[..f],
                    Par::Seq,
                    MemStack::new(&mut self.lu_mem),
                    Default::default(),
                );
            }
            for k in 0..f {
                let u = front[(k, k)];
                if u.is_nan() || u.abs() <= tiny {
                    self.piv_inv = piv_inv;
                    return Err(LindbladError::Singular(format!(
                        "pivot {u:e} below {tiny:e} in a front of the multifrontal LU \
                         (near-singular system; try another ordering)"
                    )));
                }
            }
            let (f11, f12, mut f21, mut f22) = front.split_at_mut(f, f);
            // U12 = L11⁻¹ P F12
            if nd.u12.nrows() != f || nd.u12.ncols() != b {
                nd.u12 = Mat::zeros(f, b);
            }
            for j in 0..b {
                for i in 0..f {
                    nd.u12[(i, j)] = f12[(nd.piv[i], j)];
                }
            }
            solve_unit_lower_triangular_in_place(f11.rb(), nd.u12.as_mut(), Par::Seq);
            // L21 = F21 U11⁻¹  ⇔  U11ᵀ L21ᵀ = F21ᵀ
            solve_lower_triangular_in_place(
                f11.rb().transpose(),
                f21.rb_mut().transpose_mut(),
                Par::Seq,
            );
            if b > 0 {
                matmul(
                    f22.rb_mut(),
                    Accum::Add,
                    f21.rb(),
                    nd.u12.as_ref(),
                    -1.0,
                    Par::Seq,
                );
            }
            if nd.lu.nrows() != f {
                nd.lu = Mat::zeros(f, f);
            }
            nd.lu.copy_from(f11.rb());
            if nd.l21.nrows() != b || nd.l21.ncols() != f {
                nd.l21 = Mat::zeros(b, f);
            }
            nd.l21.copy_from(f21.rb());
            if b > 0 {
                let off = self.stack.len();
                for j in 0..b {
                    self.stack.extend(f22.rb().col(j).iter().copied());
                }
                records.push((s, off));
            }
        }
        self.piv_inv = piv_inv;
        Ok(())
    }

    /// Solves `A x = rhs` in place with the current factorization.
    pub(crate) fn solve_in_place(&mut self, rhs: &mut [f64]) {
        let y = &mut self.work;
        for (k, yk) in y.iter_mut().enumerate() {
            *yk = rhs[self.perm[k]];
        }
        let mut t = Vec::new();
        for nd in &self.nodes {
            let f = nd.end - nd.start;
            t.clear();
            t.extend(nd.piv.iter().map(|&p| y[nd.start + p]));
            solve_unit_lower_triangular_in_place(
                nd.lu.as_ref(),
                MatMut::from_column_major_slice_mut(&mut t, f, 1),
                Par::Seq,
            );
            y[nd.start..nd.end].copy_from_slice(&t);
            for (k, &g) in nd.boundary.iter().enumerate() {
                let mut acc = 0.0;
                for (j, &tj) in t.iter().enumerate() {
                    acc += nd.l21[(k, j)] * tj;
                }
                y[g] -= acc;
            }
        }
        for nd in self.nodes.iter().rev() {
            let f = nd.end - nd.start;
            t.clear();
            t.extend_from_slice(&y[nd.start..nd.end]);
            for (k, &g) in nd.boundary.iter().enumerate() {
                let xg = y[g];
                if xg != 0.0 {
                    let col = nd.u12.col(k);
                    for (i, ti) in t.iter_mut().enumerate() {
                        *ti -= col[i] * xg;
                    }
                }
            }
            solve_upper_triangular_in_place(
                nd.lu.as_ref(),
                MatMut::from_column_major_slice_mut(&mut t, f, 1),
                Par::Seq,
            );
            y[nd.start..nd.end].copy_from_slice(&t);
        }
        for (k, &yk) in y.iter().enumerate() {
            rhs[self.perm[k]] = yk;
        }
    }

    /// Order of the system.
    pub(crate) fn n(&self) -> usize {
        self.n
    }
}
