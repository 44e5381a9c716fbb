// Process-level tests start real targets and QEMU guests; running them one at a time keeps the
// 2-core machine from starving the guests' TCG emulation.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
