// Test classes each start pinned reactors on cores 0-1; running them one at a time keeps timing
// tests (QoS rates) from competing with another class's busy reactors on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
