// Completion callback of a virtio-blk request given as a delegate (tests, tools); the hot path
// uses the function-pointer overloads of VirtioBlkQueue.Submit instead.
namespace Target.Initiator.Virtio;

public delegate void VirtioBlkCallback(object? context, in VirtioBlkCompletion completion);
