// Completion callback of one bdev I/O. Runs on the reactor that submitted the I/O, never on the
// stack of the submit call. The BdevIo is already back in its pool when this runs.
namespace Target.Bdev;

public interface IBdevIoCompletion
{
    void OnBdevIoComplete(BdevIoStatus status, object? context);
}
