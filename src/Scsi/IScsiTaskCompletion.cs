// Completion of one SCSI task: status, sense and residual are set on the task. Runs on the reactor
// that executed it and never on the stack of ScsiDevice.Execute (a command answered without I/O is
// deferred to the reactor's next iteration), so a transport may execute from inside its poll loop.
namespace Target.Scsi;

public interface IScsiTaskCompletion
{
    void OnScsiTaskComplete(ScsiTask task);
}
