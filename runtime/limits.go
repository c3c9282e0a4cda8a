package runtime

import "errors"

// Admission limits. Every count a module declares is checked against the bytes that
// follow it and against these limits before anything is allocated, by us or by wazero,
// so that decoding, metering and compiling any module of up to MaxModuleBytes take
// bounded time and memory (RATIONALE.md, "Why admission limits?"; the bound is measured by
// BenchmarkAdmissionWorstCase). They are consensus: every node must admit the same
// modules, so they are constants, not configuration. A node may refuse larger modules
// than the limit allows (Config.MaxModuleBytes), never admit more.
//
// The module-wide totals exist because wazero's compiler pays per local, branch table
// target, block, call and function, not per byte: 16 MB of branch tables took it 130 s,
// 8 MB of nested blocks 5.7 s, 6 MB of calls 14 s and 2.9 GB. Instructions are counted as
// metered (the meter's insertions included), because that is what the engines compile.
// Both engines take time in more than the number of a function's blocks (the compiler in
// about its square: 8,000 tiny loops in one function took it 11 s), hence the limit per
// function, and a module whose functions would cost the compiler too much runs on the
// interpreter (MaxCompilerWork).
//
// The Go toolchain's modules sit inside them: the digits task (3.2 MB) has 2,092
// functions, at most 17 locals, a nesting depth of 549, branch tables of 895 targets in
// one function, 59,608 blocks (1,307 in one function, as metered), 17,439 calls and 1.4
// million metered instructions; a Go
// task of about 7 MB would reach MaxModuleInstrs.
const (
	MaxModuleBytes     = 8 << 20 // the module as submitted
	MaxTypes           = 1 << 16 // function types
	MaxParams          = 1000    // parameters, and results, of one function type
	MaxImports         = 1 << 14
	MaxExports         = 1 << 14
	MaxFunctions       = 1 << 15 // imported and defined
	MaxGlobals         = 1 << 16 // imported and defined
	MaxTables          = 16
	MaxTableElems      = 1 << 20 // entries of all tables together, and of all element segments
	MaxMemories        = 1
	MaxElemSegments    = 1 << 16
	MaxDataSegments    = 1 << 16
	MaxBodyBytes       = 1 << 20 // one function body
	MaxLocals          = 1 << 15 // declared locals of one function (parameters not counted)
	MaxNesting         = 1 << 10 // blocks, loops and ifs open at once in one function
	MaxFunctionBlocks  = 1 << 12 // blocks, loops and ifs of one function, as metered
	MaxBranchTable     = 1 << 14 // targets of one br_table
	MaxModuleLocals    = 1 << 18 // declared locals of all functions together
	MaxModuleTargets   = 1 << 17 // br_table targets of all functions together
	MaxModuleBlocks    = 1 << 17 // blocks, loops and ifs of all functions together
	MaxModuleCalls     = 1 << 16 // calls of all functions together
	MaxModuleInstrs    = 3 << 20 // instructions of all functions together, as metered
	MaxNameSubsections = 1 << 16 // entries of one name-section map
)

// Stack limits. wazero's interpreter stops at 2000 frames and its compiler at a stack of
// about 400 MB, and the two count frames differently, so the meter keeps its own count,
// far inside both: every call adds its function's frame size (an upper bound computed at
// admission from parameters, locals and the operand stack, see frameBytes), but at least
// StackQuantum, and a call that would take the total past MaxStackBytes traps. Small frames
// therefore nest exactly MaxCallDepth deep; large ones fewer.
const (
	MaxCallDepth  = 1000
	StackQuantum  = 32 << 10
	MaxStackBytes = MaxCallDepth * StackQuantum
)

// ErrLimit is wrapped by every refusal of a module that passes one of the admission limits.
var ErrLimit = errors.New("admission limit")
