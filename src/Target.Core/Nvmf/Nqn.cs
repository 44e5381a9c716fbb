// NQN validation (NVMe Base 2.0 §4.5 "NVMe Qualified Names"; SPDK nvmf_nqn_is_valid): length
// 11..223, the discovery NQN, "nqn.2014-08.org.nvmexpress:uuid:<uuid>", or
// "nqn.yyyy-mm.<reverse domain>:<anything>" with a valid date and domain labels.
namespace Target.Core.Nvmf;

public static class Nqn
{
    public const int MaxLength = 223;
    public const int MinLength = 11;
    private const string UuidPrefix = "nqn.2014-08.org.nvmexpress:uuid:";

    public static bool IsValid(string nqn)
    {
        if (nqn.Length < MinLength || nqn.Length > MaxLength) return false;
        foreach (char c in nqn) if (c < 0x20 || c > 0x7E) return false;
        if (nqn == NvmfTarget.DiscoveryNqn) return true;
        if (nqn.StartsWith(UuidPrefix, StringComparison.Ordinal))
        {
            string u = nqn.Substring(UuidPrefix.Length);
            return u.Length == 36 && Guid.TryParseExact(u, "D", out _);
        }
        // nqn.yyyy-mm.
        if (!nqn.StartsWith("nqn.", StringComparison.Ordinal) || nqn.Length < 12) return false;
        for (int i = 4; i < 8; i++) if (!char.IsAsciiDigit(nqn[i])) return false;
        if (nqn[8] != '-' || !char.IsAsciiDigit(nqn[9]) || !char.IsAsciiDigit(nqn[10]) || nqn[11] != '.') return false;
        int month = (nqn[9] - '0') * 10 + (nqn[10] - '0');
        if (month < 1 || month > 12) return false;
        // Reverse domain up to ':' (or the end): labels start with a letter, hold letters/digits/'-',
        // do not end with '-'.
        int end = nqn.IndexOf(':', 12);
        string domain = end < 0 ? nqn.Substring(12) : nqn.Substring(12, end - 12);
        if (domain.Length == 0) return false;
        foreach (string label in domain.Split('.'))
        {
            if (label.Length == 0 || label.Length > 63 || !char.IsAsciiLetter(label[0]) || label[^1] == '-') return false;
            foreach (char c in label) if (!char.IsAsciiLetterOrDigit(c) && c != '-') return false;
        }
        return true;
    }
}
