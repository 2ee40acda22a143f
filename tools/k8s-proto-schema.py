#!/usr/bin/env python3
"""Prints the protobuf schema table of src/Runtime/K3s/ApiServer/Protobuf/ProtoSchemaTable.cs.

Usage: k8s-proto-schema.py TYPES_DIR Kind [Kind ...]

TYPES_DIR holds the Go type files of the Kubernetes API, one per group/version, named like core_v1.go, apps_v1.go and
meta_v1.go (from k8s.io/api and k8s.io/apimachinery's pkg/apis/meta/v1). For each kind and every struct it reaches,
the script reads the field tags (protobuf field number, JSON name, omitempty, pointer) and writes one table entry in
the notation ProtoSchema.cs documents. Fields whose types are not in TYPES_DIR are left out.
"""
import re,sys,glob
structs={}; alias={}
for f in sorted(glob.glob(sys.argv[1].rstrip('/')+'/*.go'), key=lambda p: 'meta' not in p):
    pkg=f.split('/')[-1][:-3]
    src=open(f).read()
    for m in re.finditer(r'^type (\w+) (string|int32|int64|bool|\[\]byte|float64)\s*$',src,re.M): alias[m.group(1)]=m.group(2)
    for m in re.finditer(r'^type (\w+) map\[(\w+)\]([\w.\[\]]+)\s*$',src,re.M): alias[m.group(1)]='map['+m.group(2)+']'+m.group(3)
    for m in re.finditer(r'^type (\w+) struct \{\n(.*?)^\}',src,re.M|re.S):
        name=m.group(1); fields=[]
        for line in m.group(2).split('\n'):
            line=line.strip()
            fm=re.match(r'(\w+)\s+([^`]+?)\s+`(.*)`',line)
            em=re.match(r'([\w.*]+)\s+`(.*)`',line)
            if not fm and em:
                class F:
                    def __init__(s,a,b,c): s.g=(None,a,b,c)
                    def group(s,i): return s.g[i]
                fm=F(em.group(1),em.group(1),em.group(2))
            if not fm: continue
            tag=fm.group(3)
            pm=re.search(r'protobuf:"(\w+),(\d+),(?:(opt|rep),)?name=(\w+)',tag)
            jm=re.search(r'json:"([^"]*)"',tag)
            if not pm: continue
            if jm and jm.group(1).split(',')[0]=='-': continue
            j=jm.group(1) if jm else pm.group(4)
            jn=j.split(',')[0] or pm.group(4); omit='omitempty' in j
            if em and not re.match(r'(\w+)\s+([^`]+?)\s+`',line) and j.split(',')[0]=='': jn='^'
            ps=re.search(r'patchStrategy:"([^"]*)"',tag); pk=re.search(r'patchMergeKey:"([^"]*)"',tag)
            patch=('~'+ps.group(1)+(':'+pk.group(1) if pk else '')) if ps else ''
            fields.append((int(pm.group(2)),jn,fm.group(2).strip(),omit,pm.group(3) or 'opt',patch))
        if name in structs and structs[name][1]!=fields: print('DUP',name,pkg,structs[name][0],file=sys.stderr)
        else: structs[name]=(pkg,fields)
special={'ExtraValue':'xv','metav1.FieldsV1':'raw','FieldsV1':'raw','Quantity':'q','resource.Quantity':'q','Time':'t','metav1.Time':'t','MicroTime':'mt','metav1.MicroTime':'mt','intstr.IntOrString':'ios','IntOrString':'ios','metav1.Duration':'dur','runtime.RawExtension':'raw','types.UID':'s','UID':'s'}
prim={'string':'s','int32':'i32','int64':'i64','bool':'bool','[]byte':'b','float64':'f64','int':'i64'}
need=[];seen=set()
def conv(t):
    ptr=t.startswith('*'); t=t.lstrip('*')
    rep=False
    if t.startswith('[]') and t!='[]byte': rep=True; t=t[2:]; t=t.lstrip('*')
    t2=t.split('.')[-1] if t not in special else t
    if t in special: base=special[t]
    elif t2 in special: base=special[t2]
    elif t in prim: base=prim[t]
    elif t2 in alias and alias[t2] in prim: base=prim[alias[t2]]
    elif t.startswith('map[') or (t2 in alias and alias[t2].startswith('map[')):
        mt=t if t.startswith('map[') else alias[t2]
        v=re.match(r'map\[[\w.]+\](.*)',mt).group(1)
        vb,_,_=conv(v); base='{'+vb+'}'
    elif t2 in structs: base=t2; 
    else: base='?'+t
    if base in structs and base not in seen: seen.add(base); need.append(base)
    return base,ptr,rep
def emit(name):
    pkg,fields=structs[name]
    parts=[]
    for num,jn,t,omit,kind,patch in sorted(fields):
        base,ptr,rep=conv(t)
        keep = (ptr or not omit) and not rep and base in ('s','i32','i64','bool','f64','b')
        if '?' in base: continue
        parts.append(f"{num} {jn} {'[]' if rep else ''}{base}{'!' if keep else ''}{patch}")
    where = pkg.replace('_', '/')
    return f'["{name}"] = "@{where}; {"; ".join(parts)}",'
for r in sys.argv[2:]:
    if r not in seen: seen.add(r); need.append(r)
i=0
while i<len(need):
    n=need[i]; i+=1
    print(emit(n))
