// QoS accounting of one BdevChannel: what its timeslice refills credited and what it admitted.
// Credit is kept in thousandths (of an I/O, of a byte), as the channel keeps it. Lets tests check
// that admission follows the credit (never more, and all of it while I/O waits) instead of
// measuring wall-clock rates, which a loaded machine distorts. Only the channel's reactor writes.
namespace Target.Bdev;

public sealed class BdevQosCounters
{
    /// <summary>I/Os that passed the QoS check (at submit or from the queue).</summary>
    public long AdmittedIos;
    /// <summary>Bytes of the admitted reads/writes/compares.</summary>
    public long AdmittedBytes;
    /// <summary>I/Os that found no credit and waited in the QoS queue.</summary>
    public long DeferredIos;
    /// <summary>Timeslice refills (the 1 ms poller's runs, plus the initial one).</summary>
    public long Refills;
    /// <summary>Credit granted for rw_ios_per_sec, in thousandths of an I/O (0 while unlimited).</summary>
    public long CreditedIoMillis;
    /// <summary>Credit granted for rw/r/w_mbytes_per_sec, in thousandths of a byte (0 while unlimited).</summary>
    public long CreditedRwByteMillis, CreditedReadByteMillis, CreditedWriteByteMillis;
}
