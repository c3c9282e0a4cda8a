package kernels

// The blocked fast path for matmul. It is an implementation of matmulRef, not a different
// algorithm: every output element is still +0 plus the products in increasing k, one
// rounding per multiply and one per add. Blocking only changes when each element's partial
// sum is computed: K is cut into blocks handled in increasing order, and the partial sum
// is kept in C between blocks (a float32 store and load are exact). Parallelism splits
// output rows between workers.

// microKernel computes an mr x nr tile of C from packed panels: a holds kc groups of mr
// values (column p of the A panel), b holds kc groups of nr values (row p of the B
// panel). When accumulate is false the tile starts from +0; otherwise from C's contents.
type microKernel struct {
	mr, nr int
	run    func(kc int, a, b, c []float32, ldc int, accumulate bool)
}

const (
	kcBlock  = 256 // K block: an A panel and a B panel of this depth stay in L1
	mcPanels = 12  // A row panels packed together: mc = 12*mr rows stay in L2
	// Below this many multiply-adds the packing costs more than it saves.
	smallGemm = 16 * 16 * 16
)

// gemm writes op(a) @ op(b) into c (m x n, row-major) using the fastest kernel this CPU
// has, across at most workers goroutines.
func gemm(a, b matrix, c []float32, workers int) {
	if a.opRows()*a.opCols()*b.opCols() < smallGemm {
		matmulRef(a, b, c)
		return
	}
	gemmWith(fastKernel, a, b, c, workers)
}

func gemmWith(kern microKernel, a, b matrix, c []float32, workers int) {
	m, k, n := a.opRows(), a.opCols(), b.opCols()
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c[:m*n])
		return
	}
	mr, nr := kern.mr, kern.nr
	np := (n + nr - 1) / nr
	bp := make([]float32, np*k*nr)
	packB(bp, b, k, n, nr)

	panels := (m + mr - 1) / mr
	parallelForN(panels, 1, workers, func(lo, hi int) {
		ap := make([]float32, mcPanels*mr*min(kcBlock, k))
		tile := make([]float32, mr*nr)
		for pc := 0; pc < k; pc += kcBlock {
			kb := min(kcBlock, k-pc)
			acc := pc > 0
			for ip0 := lo; ip0 < hi; ip0 += mcPanels {
				ip1 := min(ip0+mcPanels, hi)
				packA(ap, a, ip0*mr, min(ip1*mr, m), pc, kb, mr)
				for jp := 0; jp < np; jp++ {
					bpanel := bp[(jp*k+pc)*nr : (jp*k+pc+kb)*nr]
					j0 := jp * nr
					cols := min(nr, n-j0)
					for ip := ip0; ip < ip1; ip++ {
						apanel := ap[(ip-ip0)*kb*mr : (ip-ip0+1)*kb*mr]
						i0 := ip * mr
						rows := min(mr, m-i0)
						if rows == mr && cols == nr {
							kern.run(kb, apanel, bpanel, c[i0*n+j0:], n, acc)
							continue
						}
						// Edge tile: run on a full scratch tile, store only what exists.
						if acc {
							for r := 0; r < rows; r++ {
								copy(tile[r*nr:r*nr+cols], c[(i0+r)*n+j0:])
							}
						}
						kern.run(kb, apanel, bpanel, tile, nr, acc)
						for r := 0; r < rows; r++ {
							copy(c[(i0+r)*n+j0:(i0+r)*n+j0+cols], tile[r*nr:])
						}
					}
				}
			}
		}
	})
}

// packB lays op(b) (k x n) out as np panels of nr columns: bp[(jp*k + p)*nr + jj] =
// op(b)[p, jp*nr + jj], zero past column n.
func packB(bp []float32, b matrix, k, n, nr int) {
	for jp := 0; jp*nr < n; jp++ {
		j0 := jp * nr
		cols := min(nr, n-j0)
		for p := 0; p < k; p++ {
			dst := bp[(jp*k+p)*nr : (jp*k+p+1)*nr]
			if !b.trans {
				copy(dst, b.data[p*n+j0:p*n+j0+cols])
			} else {
				for jj := 0; jj < cols; jj++ {
					dst[jj] = b.data[(j0+jj)*k+p]
				}
			}
		}
	}
}

// packA lays rows [i0, i1) and columns [pc, pc+kb) of op(a) out as panels of mr rows:
// ap[(ipl*kb + p)*mr + ii] = op(a)[i0 + ipl*mr + ii, pc + p], zero past row i1.
func packA(ap []float32, a matrix, i0, i1, pc, kb, mr int) {
	k := a.opCols()
	for ipl := 0; i0+ipl*mr < i1; ipl++ {
		panel := ap[ipl*kb*mr : (ipl+1)*kb*mr]
		for ii := 0; ii < mr; ii++ {
			i := i0 + ipl*mr + ii
			if i >= i1 {
				for p := 0; p < kb; p++ {
					panel[p*mr+ii] = 0
				}
				continue
			}
			if !a.trans {
				row := a.data[i*k+pc : i*k+pc+kb]
				for p, v := range row {
					panel[p*mr+ii] = v
				}
			} else {
				m := a.opRows()
				for p := 0; p < kb; p++ {
					panel[p*mr+ii] = a.data[(pc+p)*m+i]
				}
			}
		}
	}
}

// kernelGo is the portable micro-kernel: a 4x4 tile held in sixteen locals.
var kernelGo = microKernel{mr: 4, nr: 4, run: kernel4x4Go}

func kernel4x4Go(kc int, a, b, c []float32, ldc int, accumulate bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	if accumulate {
		c00, c01, c02, c03 = c[0], c[1], c[2], c[3]
		c10, c11, c12, c13 = c[ldc], c[ldc+1], c[ldc+2], c[ldc+3]
		c20, c21, c22, c23 = c[2*ldc], c[2*ldc+1], c[2*ldc+2], c[2*ldc+3]
		c30, c31, c32, c33 = c[3*ldc], c[3*ldc+1], c[3*ldc+2], c[3*ldc+3]
	}
	a, b = a[:4*kc], b[:4*kc]
	for p := 0; p < kc; p++ {
		av, bv := a[4*p:4*p+4], b[4*p:4*p+4]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += float32(a0 * b0)
		c01 += float32(a0 * b1)
		c02 += float32(a0 * b2)
		c03 += float32(a0 * b3)
		c10 += float32(a1 * b0)
		c11 += float32(a1 * b1)
		c12 += float32(a1 * b2)
		c13 += float32(a1 * b3)
		c20 += float32(a2 * b0)
		c21 += float32(a2 * b1)
		c22 += float32(a2 * b2)
		c23 += float32(a2 * b3)
		c30 += float32(a3 * b0)
		c31 += float32(a3 * b1)
		c32 += float32(a3 * b2)
		c33 += float32(a3 * b3)
	}
	c[0], c[1], c[2], c[3] = c00, c01, c02, c03
	c[ldc], c[ldc+1], c[ldc+2], c[ldc+3] = c10, c11, c12, c13
	c[2*ldc], c[2*ldc+1], c[2*ldc+2], c[2*ldc+3] = c20, c21, c22, c23
	c[3*ldc], c[3*ldc+1], c[3*ldc+2], c[3*ldc+3] = c30, c31, c32, c33
}
