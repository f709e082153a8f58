#!/usr/bin/python3
"""Drives rtpengine over the ng protocol and plays one call of G.711 RTP through it."""
import audioop, math, os, random, socket, struct, sys, time

NG = ('127.0.0.1', 42223)

def benc(v):
    if isinstance(v, int): return b'i%de' % v
    if isinstance(v, str): v = v.encode()
    if isinstance(v, bytes): return b'%d:%s' % (len(v), v)
    if isinstance(v, list): return b'l' + b''.join(benc(x) for x in v) + b'e'
    if isinstance(v, dict):
        return b'd' + b''.join(benc(k) + benc(v[k]) for k in sorted(v)) + b'e'
    raise TypeError(v)

def bdec(b, i=0):
    c = b[i:i+1]
    if c == b'i':
        j = b.index(b'e', i); return int(b[i+1:j]), j+1
    if c == b'l':
        i += 1; out = []
        while b[i:i+1] != b'e':
            x, i = bdec(b, i); out.append(x)
        return out, i+1
    if c == b'd':
        i += 1; out = {}
        while b[i:i+1] != b'e':
            k, i = bdec(b, i); v, i = bdec(b, i); out[k.decode()] = v
        return out, i+1
    j = b.index(b':', i); n = int(b[i:j]); return b[j+1:j+1+n], j+1+n

ng = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ng.settimeout(3)
def ng_cmd(d):
    cookie = os.urandom(4).hex().encode()
    ng.sendto(cookie + b' ' + benc(d), NG)
    data = ng.recv(65535)
    assert data.startswith(cookie + b' ')
    r, _ = bdec(data, len(cookie) + 1)
    return r

def sdp(port, pts, session):
    names = {0: 'PCMU/8000', 8: 'PCMA/8000', 101: 'telephone-event/8000'}
    lines = ['v=0', 'o=- %d 1 IN IP4 127.0.0.1' % session, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
             'm=audio %d RTP/AVP %s' % (port, ' '.join(map(str, pts)))]
    lines += ['a=rtpmap:%d %s' % (pt, names[pt]) for pt in pts]
    if 101 in pts: lines.append('a=fmtp:101 0-15')
    lines += ['a=sendrecv', 'a=ptime:20']
    return '\r\n'.join(lines) + '\r\n'

def media_port(sdp_bytes):
    for line in sdp_bytes.decode().split('\r\n'):
        if line.startswith('m=audio '): return int(line.split()[1])

def tone(freq, n, start):
    return [int(8000 * math.sin(2 * math.pi * freq * (start + k) / 8000)) for k in range(n)]

def encode(samples, pt):
    pcm = struct.pack('<%dh' % len(samples), *samples)
    return audioop.lin2ulaw(pcm, 2) if pt == 0 else audioop.lin2alaw(pcm, 2)

def main():
    call_id = sys.argv[1]
    codec = int(sys.argv[2])  # 0 or 8
    caller_port, callee_port = int(sys.argv[3]), int(sys.argv[4])
    method = sys.argv[5] if len(sys.argv) > 5 else 'flag'
    caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); caller.bind(('127.0.0.1', caller_port))
    callee = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); callee.bind(('127.0.0.1', callee_port))
    offer = {'command': 'offer', 'call-id': call_id, 'from-tag': 'caller-tag',
             'sdp': sdp(caller_port, [codec, 101], 1)}
    if method == 'flag': offer['record-call'] = 'yes'
    if os.environ.get('META'): offer['metadata'] = os.environ['META']
    r = ng_cmd(offer); print('offer', r.get('result'), file=sys.stderr)
    to_callee_sdp = r['sdp']; print(to_callee_sdp.decode(), file=sys.stderr)
    engine_port_for_callee = media_port(to_callee_sdp)
    r = ng_cmd({'command': 'answer', 'call-id': call_id, 'from-tag': 'caller-tag',
                'to-tag': 'callee-tag', 'sdp': sdp(callee_port, [codec, 101], 2)})
    print('answer', r.get('result'), file=sys.stderr)
    to_caller_sdp = r['sdp']; print(to_caller_sdp.decode(), file=sys.stderr)
    engine_port_for_caller = media_port(to_caller_sdp)
    if method == 'command':
        r = ng_cmd({'command': 'start recording', 'call-id': call_id})
        print('start recording', r, file=sys.stderr)
    # Caller: 440 Hz from t=0 for 3 s, 400 ms gap (no packets) at 1.0-1.4 s, DTMF at 2.0 s.
    # Callee: 880 Hz from t=0.3 s to 2.8 s.
    caller_ssrc, callee_ssrc = 0x11111111, 0x22222222
    c_seq, e_seq = 1000, 65530  # callee's sequence number wraps
    c_ts, e_ts = 4294960000 & 0xffffffff, 123456  # caller's timestamp wraps soon
    t0 = time.time()
    for i in range(150):  # 20 ms ticks, 3 s
        t = i * 0.02
        target = t0 + t
        delay = target - time.time()
        if delay > 0: time.sleep(delay)
        if not (1.0 <= t < 1.4):
            if 2.0 <= t < 2.1:
                ev = struct.pack('!BBH', 5, 10, int((t - 2.0) * 8000) + 160)
                hdr = struct.pack('!BBHII', 0x80, 101 | (0x80 if t == 2.0 else 0), c_seq & 0xffff,
                                  (c_ts + 16000) & 0xffffffff, caller_ssrc)
                caller.sendto(hdr + ev, ('127.0.0.1', engine_port_for_caller))
            else:
                payload = encode(tone(440, 160, i * 160), codec)
                hdr = struct.pack('!BBHII', 0x80, codec, c_seq & 0xffff,
                                  (c_ts + i * 160) & 0xffffffff, caller_ssrc)
                caller.sendto(hdr + payload, ('127.0.0.1', engine_port_for_caller))
            c_seq += 1
        if 0.3 <= t < 2.8:
            j = i - 15
            payload = encode(tone(880, 160, j * 160), codec)
            hdr = struct.pack('!BBHII', 0x80, codec, e_seq & 0xffff, (e_ts + j * 160) & 0xffffffff,
                              callee_ssrc)
            callee.sendto(hdr + payload, ('127.0.0.1', engine_port_for_callee))
            e_seq += 1
    time.sleep(0.2)
    r = ng_cmd({'command': 'delete', 'call-id': call_id, 'from-tag': 'caller-tag'})
    print('delete', r.get('result'), file=sys.stderr)

main()
