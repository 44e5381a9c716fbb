// The trapped-access callback of a region (libvfio-user vfu_region_access_cb_t; reference
// vfio-user.md §1.3 REGION_READ/REGION_WRITE).
namespace Target.VfioUser.Server;

/// <summary>
/// Serves a REGION_READ (fill <paramref name="data"/>) or REGION_WRITE (consume it) at
/// <paramref name="offset"/> inside the region. The endpoint has already checked that
/// offset + data.Length fits the region. Returns the number of bytes handled (must be
/// data.Length for success) or a negative errno (-Errno.EINVAL, -Errno.EPERM, ...), which is
/// sent back as the error of the reply. Runs on the endpoint's reactor.
/// </summary>
public delegate int RegionAccessHandler(ulong offset, Span<byte> data, bool isWrite);
