#!/usr/bin/env python3
"""Adversarial archive of scraped copies, for finding merge bugs by hand.

Usage: python3 benches/fuzz_copies.py SEED DIR [A,B,C,D]
Writes DIR/f000.txt .. f159.txt: copies of three corpus reports (A, B, C;
by default qinghai, shaanxi, sichuan), 1-3 per file back to back with
nothing between, each whole or cut at random past half (mid-line, at a
line's end, or a full stop short), a tenth run on into the opening of
another report (D among them, yunnan by default, which the archive lacks),
a few Han characters damaged, files in UTF-8, GB18030 or UTF-16. Then
`canon clean DIR --out OUT` and compare the outputs with
`canon normalize tests/fixtures/corpus/NAME-2026.txt`. Vary the reports
too (`hebei,guangdong,ningxia,shanghai`): cases tuned on one set of
reports are not the behaviour.
"""
import random, os, sys, shutil
seed=int(sys.argv[1]); out=sys.argv[2]
rng=random.Random(seed)
C=os.path.join(os.path.dirname(os.path.abspath(__file__)),'..','tests','fixtures','corpus')+'/'
names=sys.argv[3].split(',') if len(sys.argv)>3 else ['qinghai','shaanxi','sichuan','yunnan']
if len(names)!=4:
    sys.exit('four reports: three copied, the fourth only run on into')
texts={n:open(C+n+'-2026.txt').read() for n in names}
shutil.rmtree(out,ignore_errors=True); os.makedirs(out)
def damage(t):
    cs=list(t)
    for _ in range(rng.randint(0,6)):
        i=rng.randrange(len(cs))
        if '\u4e00'<=cs[i]<='\u9fff': cs[i]=rng.choice(['\ufffd','口',''])
    return ''.join(cs)
def cut(t):
    r=rng.random()
    if r<0.25: return t
    share=rng.uniform(0.5,1.0)
    k=int(len(t)*share)
    if r<0.4:  # at a line end
        j=t.find('\n',k); k=len(t) if j<0 else j+1
    elif r<0.5: # a full stop short
        j=t.find('。\n',k); k=len(t) if j<0 else j
    return t[:k]
def copy(n):
    t=cut(texts[n])
    if rng.random()<0.1:  # run on into another present report's opening
        o=rng.choice([m for m in names if m!=n]); t=t+texts[o][:int(len(texts[o])*rng.uniform(0.05,0.3))]
    return damage(t)
for i in range(160):
    k=rng.choice([1,1,1,2,3])
    parts=[copy(rng.choice(names[:3])) for _ in range(k)]
    s='\n'.join(parts)
    enc=rng.choice(['utf-8']*6+['gb18030','utf-16'])
    try: b=s.encode(enc)
    except: b=s.encode('utf-8')
    open(f'{out}/f{i:03}.txt','wb').write(b)
