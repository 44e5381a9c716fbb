// rpc_bench: JSON-RPC round-trip latency of a running target, measured the two ways clients talk to
// it: many requests on one kept connection (an orchestrator), and one connection per request (what
// rpc.py does). Requests are pretty-printed like rpc.py's; prints min/p50/p99/max in microseconds.
//   rpc_bench [-s /var/tmp/spdk.sock] [-n 2000] [-m spdk_get_version]
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

string socketPath = "/var/tmp/spdk.sock";
int count = 2000;
string method = "spdk_get_version";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "-s": socketPath = args[++i]; break;
        case "-n": count = int.Parse(args[++i]); break;
        case "-m": method = args[++i]; break;
        default:
            Console.Error.WriteLine("usage: rpc_bench [-s socket] [-n count] [-m method]");
            return 2;
    }
}

byte[] Request(int id) => Encoding.UTF8.GetBytes($"{{\n  \"jsonrpc\": \"2.0\",\n  \"method\": \"{method}\",\n  \"id\": {id}\n}}");

static void ReadResponse(Socket s, byte[] buffer)
{
    // Responses are one compact JSON object terminated by "\n".
    while (true)
    {
        int n = s.Receive(buffer);
        if (n <= 0) throw new IOException("connection closed");
        if (buffer[n - 1] == (byte)'\n') return;
    }
}

var buffer = new byte[1 << 16];
var kept = new double[count];
using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
{
    s.Connect(new UnixDomainSocketEndPoint(socketPath));
    for (int i = 0; i < 100; i++) { s.Send(Request(i)); ReadResponse(s, buffer); } // warm-up
    for (int i = 0; i < count; i++)
    {
        long t0 = Stopwatch.GetTimestamp();
        s.Send(Request(i));
        ReadResponse(s, buffer);
        kept[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
    }
}

int fresh = Math.Max(1, count / 4);
var perConnection = new double[fresh];
for (int i = 0; i < fresh; i++)
{
    long t0 = Stopwatch.GetTimestamp();
    using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    s.Connect(new UnixDomainSocketEndPoint(socketPath));
    s.Send(Request(i));
    ReadResponse(s, buffer);
    perConnection[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
}

static string Summary(double[] v)
{
    Array.Sort(v);
    double P(double q) => v[Math.Min(v.Length - 1, (int)(q * v.Length))];
    return $"{v.Length,6} calls  min {v[0],8:F1}  p50 {P(0.50),8:F1}  p99 {P(0.99),8:F1}  max {v[^1],9:F1} us";
}

Console.WriteLine($"RPC round trip of {method} on {socketPath}");
Console.WriteLine($"  kept connection     : {Summary(kept)}");
Console.WriteLine($"  connection per call : {Summary(perConnection)}");
return 0;
