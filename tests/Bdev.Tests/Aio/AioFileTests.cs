// AioFile: O_DIRECT open, geometry (block size probe, size) and errors; plus DirectTempFile, the
// scratch file on an O_DIRECT-capable filesystem that the aio tests share.
using System.Runtime.InteropServices;
using Target.Bdev.Modules.Aio;
using Target.Core.Interop;
using Target.Core.Memory;

namespace Bdev.Tests.Aio;

public sealed class AioFileTests
{
    private readonly ITestOutputHelper _output;

    public AioFileTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void OpenMissingFileGivesEnoent()
    {
        string path = Path.Combine(DirectTempFile.Directory, "missing-" + Guid.NewGuid().ToString("N"));
        AioFile? file = AioFile.Open(path, readOnly: false, out int errno);
        Assert.Null(file);
        Assert.Equal(2, errno);
    }

    [Fact]
    public void OpenDirectoryIsRejected()
    {
        AioFile? file = AioFile.Open(DirectTempFile.Directory, readOnly: true, out int errno);
        Assert.Null(file);
        Assert.NotEqual(0, errno);
    }

    [Fact]
    public void RegularFileGeometry()
    {
        using var tmp = new DirectTempFile(64 * 1024);
        using AioFile file = tmp.Open();
        Assert.False(file.IsBlockDevice);
        Assert.True(file.Fd >= 0);
        Assert.Equal(64UL * 1024, file.SizeBytes);
        Assert.True(file.LogicalBlockSize is 512 or 4096, "block size " + file.LogicalBlockSize);
    }

    [Fact]
    public unsafe void ProbedBlockSizeIsUsableForDirectReads()
    {
        using var tmp = new DirectTempFile(64 * 1024, allocate: true);
        using AioFile file = tmp.Open();
        uint bs = file.LogicalBlockSize;
        void* buf = NativeMemory.AlignedAlloc(bs, 4096);
        try
        {
            // One block at a block-aligned (not page-aligned when bs = 512) offset must be accepted.
            nint got = Libc.PRead(file.Fd, buf, bs, bs);
            Assert.Equal((nint)bs, got);
        }
        finally
        {
            NativeMemory.AlignedFree(buf);
        }
    }

    [Fact]
    public void FallocateGrowsAndRefreshSizeSeesExternalGrowth()
    {
        using var tmp = new DirectTempFile(0);
        using AioFile file = tmp.Open();
        Assert.Equal(0UL, file.SizeBytes);

        Assert.Equal(0, file.Fallocate(1 << 20));
        Assert.Equal(1UL << 20, file.SizeBytes);

        using (var fs = new FileStream(tmp.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            fs.SetLength(3 << 20);
        Assert.Equal(1UL << 20, file.SizeBytes);
        Assert.Equal(0, file.RefreshSize());
        Assert.Equal(3UL << 20, file.SizeBytes);
    }

    [Fact]
    public void ReadOnlyOpenWorksOnReadOnlyPermissions()
    {
        using var tmp = new DirectTempFile(4096);
        using AioFile? file = AioFile.Open(tmp.Path, readOnly: true, out int errno);
        Assert.Equal(0, errno);
        Assert.NotNull(file);
        Assert.True(file!.ReadOnly);
        Assert.Equal(4096UL, file.SizeBytes);
    }

    [Fact]
    public void DisposeClosesTheFd()
    {
        using var tmp = new DirectTempFile(4096);
        AioFile file = tmp.Open();
        int fd = file.Fd;
        file.Dispose();
        Assert.Equal(-1, file.Fd);
        Assert.False(File.Exists("/proc/self/fd/" + fd) && LinkTarget(fd) == tmp.Path);
        file.Dispose();   // idempotent
    }

    /// <summary>
    /// A real block device, opened read-only (no writes ever): geometry must match sysfs. Takes the
    /// first readable disk; where none is (containers without device nodes), a loop device over a
    /// temp file; skipped, with the reason, when neither can be had (non-root, no losetup).
    /// </summary>
    [Fact]
    public void BlockDeviceGeometryMatchesSysfs()
    {
        if (!System.IO.Directory.Exists("/sys/block")) Assert.Skip("no /sys/block on this machine");
        var tried = new List<string>();
        foreach (string dir in System.IO.Directory.GetDirectories("/sys/block"))
        {
            string name = System.IO.Path.GetFileName(dir);
            if (name.StartsWith("loop", StringComparison.Ordinal) || name.StartsWith("ram", StringComparison.Ordinal)) continue;
            if (CheckGeometry(name, tried)) return;
        }
        using var backing = new DirectTempFile(2 << 20, allocate: true);
        string? loop = RunLosetup("--find --show " + backing.Path);
        if (loop == null || !loop.StartsWith("/dev/loop", StringComparison.Ordinal))
            Assert.Skip("no readable disk (" + string.Join("; ", tried) + ") and losetup unavailable (needs root)");
        try
        {
            Assert.True(CheckGeometry(System.IO.Path.GetFileName(loop), tried), string.Join("; ", tried));
        }
        finally
        {
            RunLosetup("-d " + loop);
        }
    }

    /// <summary>Opens /dev/NAME read-only and checks it against /sys/block/NAME; false (reason noted) when it cannot be opened.</summary>
    private bool CheckGeometry(string name, List<string> tried)
    {
        string dir = "/sys/block/" + name, dev = "/dev/" + name;
        if (!File.Exists(dev)) { tried.Add(dev + " missing"); return false; }
        ulong sectors = ulong.Parse(File.ReadAllText(Path.Combine(dir, "size")).Trim());
        if (sectors == 0) { tried.Add(dev + " empty"); return false; }
        uint lbs = uint.Parse(File.ReadAllText(Path.Combine(dir, "queue", "logical_block_size")).Trim());
        using AioFile? file = AioFile.Open(dev, readOnly: true, out int errno);
        if (file == null) { tried.Add(dev + ": open errno " + errno); return false; }   // EACCES etc.
        Assert.True(file.IsBlockDevice);
        Assert.Equal(sectors * 512, file.SizeBytes);
        Assert.Equal(lbs, file.LogicalBlockSize);
        Assert.Equal(0, file.RefreshSize());
        Assert.Equal(sectors * 512, file.SizeBytes);
        _output.WriteLine(dev + ": " + file.SizeBytes + " bytes, " + file.LogicalBlockSize + " B blocks");
        return true;
    }

    /// <summary>
    /// A loop device with 4 KiB sectors over a temp file: geometry through the block ioctls and
    /// O_DIRECT AIO through it. Needs root and losetup; skipped, with the reason, otherwise.
    /// </summary>
    [Fact]
    public unsafe void LoopDeviceWith4KSectors()
    {
        using var backing = new DirectTempFile(4 << 20, allocate: true);
        string? dev = RunLosetup("--find --show --sector-size 4096 " + backing.Path);
        if (dev == null || !dev.StartsWith("/dev/loop", StringComparison.Ordinal))
            Assert.Skip("losetup unavailable (needs root and util-linux): " + dev);
        try
        {
            using AioFile? file = AioFile.Open(dev, readOnly: false, out int errno);
            Assert.True(file != null, dev + ": errno " + errno);
            Assert.True(file!.IsBlockDevice);
            Assert.Equal(4096u, file.LogicalBlockSize);
            Assert.Equal(4UL << 20, file.SizeBytes);
            Assert.NotEqual(0, file.Fallocate(4096));   // mode 0 is a file-only operation

            using var ctx = new AioContext(4);
            byte* buf = (byte*)NativeMemory.AlignedAlloc(8192, 4096);
            try
            {
                new Random(5).NextBytes(new Span<byte>(buf, 4096));
                IoVec w = new(buf, 4096);
                Assert.True(ctx.TrySubmit(file.Fd, AioOp.Write, 8192, &w, 1, 1, out int err), "errno " + err);
                Assert.Equal(4096, Wait(ctx, 1));
                IoVec r = new(buf + 4096, 4096);
                Assert.True(ctx.TrySubmit(file.Fd, AioOp.Read, 8192, &r, 1, 2, out err), "errno " + err);
                Assert.Equal(4096, Wait(ctx, 2));
                Assert.True(new Span<byte>(buf, 4096).SequenceEqual(new Span<byte>(buf + 4096, 4096)));

                // 512-byte aligned is not enough on a 4 KiB-sector device.
                IoVec small = new(buf, 512);
                if (ctx.TrySubmit(file.Fd, AioOp.Read, 512, &small, 1, 3, out err))
                    Assert.Equal(-22, Wait(ctx, 3));
                else
                    Assert.Equal(22, err);
                Assert.True(ctx.TrySubmit(file.Fd, AioOp.Fsync, 0, null, 0, 4, out err), "errno " + err);
                Assert.Equal(0, Wait(ctx, 4));
            }
            finally
            {
                NativeMemory.AlignedFree(buf);
            }
        }
        finally
        {
            RunLosetup("-d " + dev);
        }
    }

    private static long Wait(AioContext ctx, ulong tag)
    {
        var one = new AioCompletion[1];
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (ctx.Reap(one) == 0)
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), "no completion");
            Thread.Yield();
        }
        Assert.Equal(tag, one[0].UserData);
        return one[0].Result;
    }

    /// <summary>Runs losetup; its trimmed stdout, or null when it is missing or fails.</summary>
    private static string? RunLosetup(string args)
    {
        foreach (string exe in new[] { "/usr/sbin/losetup", "/sbin/losetup" })
        {
            if (!File.Exists(exe)) continue;
            try
            {
                using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(exe, args)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                });
                if (p == null) return null;
                string stdout = p.StandardOutput.ReadToEnd();
                p.StandardError.ReadToEnd();
                p.WaitForExit();
                return p.ExitCode == 0 ? stdout.Trim() : null;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return null;
            }
        }
        return null;
    }

    private static string? LinkTarget(int fd)
    {
        try { return new FileInfo("/proc/self/fd/" + fd).LinkTarget; }
        catch (IOException) { return null; }
    }
}

/// <summary>
/// A temporary file on a filesystem that supports O_DIRECT (/tmp is often tmpfs, which does not),
/// deleted on Dispose.
/// </summary>
internal sealed class DirectTempFile : IDisposable
{
    private static readonly Lazy<string> s_directory = new(FindDirectory);

    public static string Directory => s_directory.Value;

    public string Path { get; }

    /// <param name="allocate">Write real data instead of leaving a hole: O_DIRECT reads of holes
    /// are served by zeroing the buffer and skip the alignment checks.</param>
    public DirectTempFile(long length, bool allocate = false)
    {
        Path = System.IO.Path.Combine(Directory, "aio-test-" + Guid.NewGuid().ToString("N"));
        using var fs = new FileStream(Path, FileMode.CreateNew, FileAccess.Write);
        if (!allocate)
        {
            if (length > 0) fs.SetLength(length);
            return;
        }
        var chunk = new byte[64 * 1024];
        new Random(1).NextBytes(chunk);
        for (long done = 0; done < length; done += chunk.Length)
            fs.Write(chunk, 0, (int)Math.Min(chunk.Length, length - done));
        fs.Flush(flushToDisk: true);
    }

    public AioFile Open(bool readOnly = false)
    {
        AioFile? file = AioFile.Open(Path, readOnly, out int errno);
        Assert.True(file != null, "open " + Path + " failed: errno " + errno);
        Assert.Equal(0, errno);
        return file!;
    }

    public void Dispose()
    {
        try { File.Delete(Path); } catch (IOException) { }
    }

    private static string FindDirectory()
    {
        string? env = Environment.GetEnvironmentVariable("AIO_TEST_DIR");
        string[] candidates = env != null
            ? new[] { env }
            : new[] { "/var/tmp", System.IO.Path.GetTempPath(), AppContext.BaseDirectory };
        foreach (string dir in candidates)
        {
            if (!System.IO.Directory.Exists(dir)) continue;
            string probe = System.IO.Path.Combine(dir, "aio-probe-" + Guid.NewGuid().ToString("N"));
            try
            {
                File.WriteAllBytes(probe, new byte[4096]);
                AioFile? f = AioFile.Open(probe, readOnly: false, out _);
                if (f == null) continue;   // EINVAL: no O_DIRECT here (tmpfs)
                f.Dispose();
                return dir;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            finally
            {
                try { File.Delete(probe); } catch (IOException) { }
            }
        }
        throw new InvalidOperationException("no O_DIRECT-capable directory found; set AIO_TEST_DIR");
    }
}

