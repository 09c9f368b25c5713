// Names hit verification knows without capital letters: programming languages, and named entities — libraries,
// frameworks and tools, companies and products, places, natural languages. Each group is one name: the canonical
// id first, then its aliases (a group may hold multi-word phrases); "id=alias|…" names an id that is not itself
// an alias ("shell" alone is not a language, "shell script" is). Phrases are matched on lower-case words with
// in-word hyphens and dots read as spaces ("scikit-learn" = "scikit learn"), so aliases are written that way.
//
// The lists need not be complete: a name missing here is still compared as a content word (it is in one prompt
// and not the other), only with a less precise reason.

/**
 * Programming languages, by canonical name. Aliases are spellings of one thing only: a dialect, a shell, a runtime
 * or a platform that answers differently is a name of its own ("zsh" ≠ "bash", "T-SQL" ≠ "PL/SQL", "SCSS" ≠ "CSS",
 * "Node.js" ≠ "JavaScript", ".NET" ≠ "C#"), as are "AngularJS", "Neovim", "Spring Boot" and "SvelteKit" below.
 * "c", "go" and "r" are recognised from context in names.ts only.
 */
const LANGUAGES =
  "python|py|cpython,typescript|ts,javascript|js|ecmascript|vanilla js,node.js|nodejs|node js," +
  "java,c++|cpp,c#|csharp|c sharp,.net|dotnet,f#|fsharp,objective c|objc|obj c,go|golang,rust,ruby,php,swift," +
  "kotlin,scala,sql,t sql|tsql,pl sql|plsql,shell=shell script|shell scripting,bash,zsh,powershell,html," +
  "css,scss,sass,haskell,elixir,erlang,clojure,ocaml,perl,lua,dart,julia,matlab,fortran,cobol,zig," +
  "solidity,assembly|asm,visual basic|vb.net,vba,groovy,prolog,lisp|common lisp,nim,delphi,verilog,vhdl,abap";

/** Named entities that people write in lower case as often as not. */
const ENTITIES =
  // libraries, frameworks, runtimes, tools
  "react|reactjs|react.js,vue|vuejs|vue.js,angular,angularjs,svelte,sveltekit,next.js|nextjs,nuxt|nuxtjs," +
  "django,flask,fastapi,rails|ruby on rails,laravel,symfony,spring,spring boot,express|expressjs,nestjs," +
  "jquery,bootstrap,tailwind|tailwindcss,pandas,numpy,scipy,matplotlib,seaborn,plotly,scikit learn|sklearn," +
  "tensorflow,pytorch|torch,keras,jax,hugging face|huggingface,langchain,llamaindex,spark|pyspark," +
  "hadoop,kafka,airflow,dbt,kubernetes|k8s,docker,podman,terraform,ansible,helm,jenkins,nginx,apache," +
  "redis,memcached,mongodb|mongo,postgres|postgresql,mysql,mariadb,sqlite,oracle,sql server|mssql," +
  "elasticsearch,opensearch,dynamodb,cassandra,neo4j,supabase,firebase,graphql,grpc,webpack,vite,babel," +
  "eslint,prettier,jest,vitest,mocha,pytest,junit,selenium,playwright,cypress,git,github,gitlab,bitbucket," +
  "npm,yarn,pnpm,pip,conda|anaconda,poetry,cargo,maven,gradle,unity,unreal|unreal engine,godot,flutter," +
  "react native,electron,tauri,deno,bun,redux,prisma,sequelize,hibernate,opencv,ffmpeg,wordpress,drupal," +
  "shopify,stripe,twilio,excel,powerpoint,microsoft word,outlook,gmail,chrome,firefox,safari,vscode|vs code," +
  "visual studio,intellij,pycharm,vim,neovim,emacs,jupyter,colab,tableau,power bi,salesforce,sap,jira," +
  "confluence,slack,zoom,microsoft teams,notion,figma,canva,photoshop,illustrator,blender,autocad," +
  // platforms, operating systems, devices
  "aws|amazon web services,azure,gcp|google cloud,cloudflare,vercel,netlify,heroku,digitalocean,linux," +
  "ubuntu,debian,fedora,centos,red hat|rhel,arch linux,windows,macos|mac os|osx|os x,ios,android,ipados," +
  "iphone,ipad,macbook,kindle,xbox,playstation,nintendo switch,raspberry pi," +
  "arduino,bitcoin|btc,ethereum|eth,solana,dogecoin," +
  // companies, organisations, AI products
  "google,microsoft,apple,amazon,meta|facebook,instagram,whatsapp,twitter|x.com,tiktok,youtube,netflix," +
  "spotify,tesla,spacex,nvidia,intel,amd,ibm,samsung,sony,nintendo,openai,anthropic,chatgpt,gpt,claude," +
  "gemini,llama,mistral,copilot,uber,airbnb,paypal,visa,mastercard,walmart,costco,ikea,toyota,honda,bmw," +
  "ford,boeing,airbus,nasa,esa,fbi,cia,nsa,irs,fda,cdc,un|united nations,eu|european union,nato,imf," +
  "world bank,fifa,uefa,nba,nfl,mlb,nhl,olympics,harvard,stanford,mit,oxford,cambridge," +
  // countries and regions
  "united states|usa|u.s|u.s.a|america|united states of america,united kingdom|uk|britain|great britain," +
  "england,scotland,wales,ireland,france,germany,italy,spain,portugal,netherlands|holland,belgium," +
  "switzerland,austria,sweden,norway,denmark,finland,iceland,poland,czech republic|czechia,hungary,greece," +
  "turkey,russia,ukraine,romania,bulgaria,serbia,croatia,china,japan,korea,south korea,north korea,india," +
  "pakistan,bangladesh,sri lanka,nepal,indonesia,malaysia,singapore,thailand,vietnam,philippines,australia," +
  "new zealand,canada,mexico,brazil,argentina,chile,peru,colombia,venezuela,cuba,egypt,morocco,nigeria," +
  "kenya,ethiopia,south africa,ghana,israel,iran,iraq,saudi arabia,uae|united arab emirates,qatar,jordan," +
  "lebanon,syria,afghanistan,europe,asia,africa,antarctica,south america,north america,middle east," +
  "scandinavia,california,texas,florida,new york state,washington state,alaska,hawaii,ontario,quebec," +
  "bavaria,catalonia,tuscany,bali,sicily," +
  // cities
  "new york|nyc|new york city,los angeles,san francisco|sf,chicago,boston,seattle,miami,las vegas," +
  "washington dc|washington d.c|dc,atlanta,denver,austin,houston,dallas,toronto,vancouver,montreal," +
  "london,paris,berlin,munich,hamburg,frankfurt,madrid,barcelona,lisbon,rome,milan,venice,florence," +
  "amsterdam,brussels,vienna,zurich,geneva,prague,budapest,warsaw,stockholm,oslo,copenhagen,helsinki," +
  "dublin,edinburgh,manchester,athens,istanbul,moscow,kyiv|kiev,tokyo,kyoto,osaka,seoul,beijing,shanghai," +
  "hong kong,taipei,bangkok,hanoi,manila,jakarta,mumbai|bombay,delhi|new delhi,bangalore|bengaluru," +
  "karachi,dubai,abu dhabi,doha,tel aviv,jerusalem,cairo,nairobi,lagos,cape town,johannesburg,sydney," +
  "melbourne,auckland,mexico city,sao paulo,rio de janeiro|rio,buenos aires,lima,bogota,havana," +
  // natural languages
  "english,french,spanish,german,italian,portuguese,chinese|mandarin,cantonese,japanese,korean,russian," +
  "arabic,hindi,bengali,urdu,turkish,dutch,swedish,norwegian,danish,finnish,polish,greek,hebrew,latin," +
  "vietnamese,thai,indonesian,swahili,ukrainian,persian|farsi";

export interface NameTable {
  /** Lower-case phrase (words joined by one space) → canonical id. */
  readonly byPhrase: ReadonlyMap<string, string>;
  /** Longest phrase, in words. */
  readonly maxWords: number;
}

function build(spec: string): NameTable {
  const byPhrase = new Map<string, string>();
  let maxWords = 1;
  for (const group of spec.split(",")) {
    const [head, aliases] = group.includes("=") ? group.split("=") : [group.split("|")[0], group];
    const names = aliases!.split("|");
    const id = head!.replaceAll(" ", "_");
    for (const name of names) {
      byPhrase.set(name, id);
      maxWords = Math.max(maxWords, name.split(" ").length);
    }
  }
  return { byPhrase, maxWords };
}

export const LANGUAGE_NAMES: NameTable = build(LANGUAGES);
export const ENTITY_NAMES: NameTable = build(ENTITIES);
